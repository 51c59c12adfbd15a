"""Renders haprov's Jinja cases with Ansible's own templating, as its template module does
(trim_blocks, the last newline kept), so that JinjaTests compares haprov's rendering with it.
argv[1]: a cases file (vars, cases: [{name, template, vars}]); stdout: JSON, per case name
{"text": ...} or {"error": ...}."""
import json
import sys

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

with open(sys.argv[1]) as source:
    document = yaml.safe_load(source)
results = {}
for case in document["cases"]:
    variables = dict(document.get("vars") or {}, **(case.get("vars") or {}))
    templar = Templar(loader=DataLoader(), variables=variables)
    try:
        text = templar.template(trust_as_template(case["template"]), escape_backslashes=False,
                                overrides=dict(trim_blocks=True, lstrip_blocks=False))
        results[case["name"]] = {"text": text if isinstance(text, str) else str(text)}
    except Exception as error:  # a failure is the case's answer, not the script's
        results[case["name"]] = {"error": str(error).splitlines()[0]}
json.dump(results, sys.stdout, indent=1, sort_keys=True)
