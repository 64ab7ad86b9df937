"""Audits every package installed in the project's virtual environment with pip-audit.

Fails on a known vulnerability. pip-audit needs an advisory source (PyPI's JSON API or OSV); a package it
could not look up is not a pass, so those are counted and named as NOT AUDITED instead of being hidden.
"""

import json
import subprocess
import sys


def main() -> int:
    # A fixed command, nothing from a caller.
    completed = subprocess.run(  # nosec B603
        [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--skip-editable"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print(f"dependency audit: pip-audit gave no report (exit {completed.returncode})\n{completed.stderr}")
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dep in vulnerable:
        ids = ", ".join(vuln["id"] for vuln in dep["vulns"])
        print(f"VULNERABLE {dep['name']} {dep['version']}: {ids}")
    if skipped:
        names = "all of them" if len(skipped) == len(dependencies) else ", ".join(sorted(d["name"] for d in skipped))
        print(
            f"dependency audit: {len(skipped)} of {len(dependencies)} packages NOT AUDITED: no advisory source "
            f"answered for them from this machine ({names})"
        )
    print(f"dependency audit: {audited} packages audited, {len(vulnerable)} with known vulnerabilities")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
