"""`make security`'s audit of every package installed in the project's virtual environment, with pip-audit.

Fails on a known vulnerability. pip-audit needs an advisory source (PyPI's JSON API or OSV); a package it
could not look up is not a pass, so those are counted and named as NOT AUDITED instead of being hidden.
"""

import json
import subprocess
import sys

# A fixed command, nothing from a caller.
completed = subprocess.run(  # nosec B603
    [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--skip-editable"],
    capture_output=True,
    text=True,
    check=False,
)
try:
    dependencies = json.loads(completed.stdout).get("dependencies", [])
except json.JSONDecodeError:
    sys.exit(f"dependency audit: pip-audit gave no report (exit {completed.returncode})\n{completed.stderr}")
vulnerable = [dep for dep in dependencies if dep.get("vulns")]
skipped = sorted(dep["name"] for dep in dependencies if dep.get("skip_reason"))
for dep in vulnerable:
    print(f"VULNERABLE {dep['name']} {dep['version']}: {', '.join(vuln['id'] for vuln in dep['vulns'])}")
if skipped:
    names = "all of them" if len(skipped) == len(dependencies) else ", ".join(skipped)
    unaudited = f"{len(skipped)} of {len(dependencies)} packages NOT AUDITED"
    print(f"dependency audit: {unaudited}: no advisory source answered for them from this machine ({names})")
audited = len(dependencies) - len(skipped)
print(f"dependency audit: {audited} packages audited, {len(vulnerable)} with known vulnerabilities")
sys.exit(1 if vulnerable else 0)
