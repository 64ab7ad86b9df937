"""Writes template.yaml as each AuthMode deploys it, for `make template` and `make security` to check every mode:
DIRECTORY/iam.yaml, cognito.yaml and none.yaml, each with the Fn::If that AuthMode decides resolved, as
AWS::LanguageExtensions resolves them before the SAM transform, and AuthMode's default set to that mode.

Run: python scripts/auth_mode_templates.py DIRECTORY (prints the files written, one a line).
"""

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.template import template_for_parameters

AUTH_MODES = ("iam", "cognito", "none")


def write_auth_mode_templates(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for mode in AUTH_MODES:
        path = directory / f"{mode}.yaml"
        path.write_text(yaml.safe_dump(template_for_parameters({"AuthMode": mode}), sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    for path in write_auth_mode_templates(parser.parse_args(argv).directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
