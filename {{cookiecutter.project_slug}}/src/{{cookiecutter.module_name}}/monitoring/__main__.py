"""Run the drift report: `python -m {{ cookiecutter.module_name }}.monitoring report`."""

from {{ cookiecutter.module_name }}.monitoring.job import main

raise SystemExit(main())
