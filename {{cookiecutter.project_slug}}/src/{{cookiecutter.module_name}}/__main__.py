"""`python -m {{ cookiecutter.module_name }}` runs the project's command line."""

from {{ cookiecutter.module_name }}.cli import main

raise SystemExit(main())
