#!/bin/bash
# The Spark image's entrypoint (Dockerfile, target spark). Spark on Kubernetes
# starts the driver's pod with `driver ARGS...` and each executor's pod with
# `executor`, its settings in SPARK_* variables: the same contract as the
# entrypoint of Apache Spark's own images, written for this image's layout
# (pyspark's jars under SPARK_HOME, java on PATH, a user that exists). Any
# other command runs as given: `docker run IMAGE {{ cookiecutter.project_slug }} spark prepare ...`.
set -euo pipefail

case "${1:-}" in
  driver)
    shift
    # The operator's spark-submit has made this pod; here the driver runs in it.
    exec "${SPARK_HOME}/bin/spark-submit" \
      --deploy-mode client \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS}" \
      "$@"
    ;;
  executor)
    shift
    # The JVM options the driver hands over, as SPARK_JAVA_OPT_0, _1, ...
    java_options=()
    for name in "${!SPARK_JAVA_OPT_@}"; do
      java_options+=("${!name}")
    done
    exec java "${java_options[@]}" \
      -Xms"${SPARK_EXECUTOR_MEMORY}" -Xmx"${SPARK_EXECUTOR_MEMORY}" \
      -cp "${SPARK_CONF_DIR:-${SPARK_HOME}/conf}:${SPARK_HOME}/jars/*:${PWD}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "${SPARK_DRIVER_URL}" \
      --executor-id "${SPARK_EXECUTOR_ID}" \
      --cores "${SPARK_EXECUTOR_CORES}" \
      --app-id "${SPARK_APPLICATION_ID}" \
      --hostname "${SPARK_EXECUTOR_POD_IP}" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID}" \
      --podName "${SPARK_EXECUTOR_POD_NAME}"
    ;;
  *)
    exec "$@"
    ;;
esac
