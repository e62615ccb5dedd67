import json


def print_json(command, payload: dict) -> None:
    """Operator commands print one JSON object on one line on stdout (DESIGN.md)."""
    command.stdout.write(json.dumps(payload, separators=(",", ":")))
