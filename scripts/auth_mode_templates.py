"""`python scripts/auth_mode_templates.py DIRECTORY`, for `make template` and `make security` to check every mode:
writes template.yaml as each AuthMode deploys it, DIRECTORY/iam.yaml, cognito.yaml and none.yaml, each with the Fn::If
that AuthMode decides resolved, as AWS::LanguageExtensions resolves them before the SAM transform, and AuthMode's
default set to that mode. Prints the files written, one a line."""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.template import template_for_parameters

AUTH_MODES = ("iam", "cognito", "none")


def write_auth_mode_templates(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / f"{mode}.yaml" for mode in AUTH_MODES]
    for path, mode in zip(written, AUTH_MODES, strict=True):
        path.write_text(yaml.safe_dump(template_for_parameters({"AuthMode": mode}), sort_keys=False), encoding="utf-8")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(*write_auth_mode_templates(Path(sys.argv[1])), sep="\n")
