#!/usr/bin/python3
"""Validates deploy/kubernetes/ without a cluster.

`kubectl apply --dry-run=client` and `kubectl create --dry-run=client` both
need an API server: kubectl maps every kind to a resource through the
server's discovery API even for a client-side dry run, and downloads the
server's OpenAPI document to validate (tried with Debian 12's
kubernetes-client 1.20 and kubectl 1.32: "unable to recognize ...:
connection refused", with and without --validate=false). So this test
checks what can be checked offline, for real:

1. Built-in objects (Namespace, ConfigMap, Service, DaemonSet,
   CustomResourceDefinition) against the Kubernetes API models of Debian's
   python3-kubernetes (generated from the Kubernetes OpenAPI spec): every
   field must exist with the right JSON name and type, every required field
   must be present (the models' own client-side validation).
2. Every CustomResourceDefinition against the structural-schema rules the
   API server enforces (types everywhere, oneOf without types, metadata
   limited to name, printer columns and scale paths that exist, ...).
3. The CRD schemas against proto/onvm/v1/{service,chain,rule}.proto: the
   same fields, with the proto's JSON names and compatible types.
4. The example objects (example-crs.yaml) against their CRD's
   openAPIV3Schema with python3-jsonschema; unknown fields are errors (the
   API server would prune them silently). Broken copies of the examples
   must be rejected, so the validator is known to bite.
5. Where a kubectl binary is installed: `kubectl kustomize` renders the
   kustomization, and kubectl's own decoder reads every manifest
   (`kubectl annotate --local -o json`, which needs no server).

Usage: check_kubernetes.py REPO_ROOT
"""

import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema
import yaml
from kubernetes import client as k8s

ERRORS = []


def error(where, message):
    ERRORS.append(f"{where}: {message}")


# --- 1. built-in objects against the python3-kubernetes models -------------

BUILTIN_KINDS = {
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): "V1CustomResourceDefinition",
}

# Fields typed 'object' (free-form) in the models that hold schemas.
SCHEMA_OBJECT_FIELDS = {"items", "additional_properties", "additional_items"}


def check_model(value, type_name, path):
    """Walks `value` against the model type `type_name`; returns the model
    value built from it (so that the models' own validation runs)."""
    if type_name == "object":
        return value
    if type_name == "str":
        if not isinstance(value, str):
            error(path, f"must be a string, not {type(value).__name__} {value!r}")
        return value
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            error(path, f"must be an integer, not {value!r}")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            error(path, f"must be a boolean, not {value!r}")
        return value
    if type_name == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            error(path, f"must be a number, not {value!r}")
        return value
    if type_name == "datetime":
        return value
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            error(path, f"must be a list, not {value!r}")
            return value
        return [check_model(v, m.group(1), f"{path}[{i}]") for i, v in enumerate(value)]
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            error(path, f"must be a map, not {value!r}")
            return value
        return {k: check_model(v, m.group(1), f"{path}.{k}") for k, v in value.items()}
    cls = getattr(k8s, type_name, None)
    if cls is None:
        error(path, f"internal: no model {type_name}")
        return value
    if not isinstance(value, dict):
        error(path, f"must be an object ({type_name}), not {value!r}")
        return value
    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    kwargs = {}
    for key, sub in value.items():
        attr = by_json.get(key)
        if attr is None:
            error(f"{path}.{key}", f"unknown field (not in {type_name})")
            continue
        sub_type = cls.openapi_types[attr]
        if (type_name == "V1JSONSchemaProps" and attr in SCHEMA_OBJECT_FIELDS
                and isinstance(sub, dict)):
            sub_type = "V1JSONSchemaProps"
        kwargs[attr] = check_model(sub, sub_type, f"{path}.{key}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:
        error(path, f"{type_name}: {e}")
        return value


# --- 2. structural schema rules ----------------------------------------------

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
FORBIDDEN_IN_JUNCTORS = {"type", "description", "default", "additionalProperties", "nullable"}


def check_structural(schema, path, in_junctor=False, outer_props=None):
    if not isinstance(schema, dict):
        error(path, "schema must be an object")
        return
    if in_junctor:
        for key in FORBIDDEN_IN_JUNCTORS & schema.keys():
            error(path, f"'{key}' is not allowed inside allOf/anyOf/oneOf/not")
        for name in schema.get("required", []):
            if outer_props is not None and name not in outer_props:
                error(path, f"required '{name}' is not a property of the enclosing schema")
        for name in schema.get("properties", {}):
            if outer_props is not None and name not in outer_props:
                error(path, f"property '{name}' must also be specified outside the junctor")
    else:
        special = schema.get("x-kubernetes-int-or-string") or schema.get(
            "x-kubernetes-preserve-unknown-fields")
        if "type" not in schema and not special:
            error(path, "structural schemas need a type on every node")
        if schema.get("x-kubernetes-int-or-string") and "type" in schema:
            error(path, "x-kubernetes-int-or-string must not have a type")
        if "properties" in schema and "additionalProperties" in schema:
            error(path, "properties and additionalProperties are mutually exclusive")
        if schema.get("type") == "array" and "items" not in schema:
            error(path, "arrays need items")
    for name, sub in schema.get("properties", {}).items():
        check_structural(sub, f"{path}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        check_structural(schema["items"], f"{path}.items")
    if isinstance(schema.get("additionalProperties"), dict):
        check_structural(schema["additionalProperties"], f"{path}.additionalProperties")
    for junctor in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(schema.get(junctor, [])):
            check_structural(sub, f"{path}.{junctor}[{i}]", True,
                             schema.get("properties", {}).keys())
    if "enum" in schema and "type" in schema:
        py = {"string": str, "integer": int, "boolean": bool, "number": (int, float)}
        for v in schema["enum"]:
            if not isinstance(v, py.get(schema["type"], object)):
                error(path, f"enum value {v!r} is not a {schema['type']}")


def schema_at(schema, json_path):
    """The sub-schema at a printer-column/scale path like .spec.then.out."""
    node = schema
    for part in json_path.lstrip(".").split("."):
        props = node.get("properties", {})
        if part not in props:
            return None
        node = props[part]
    return node


def check_crd(crd, where):
    spec = crd["spec"]
    names = spec["names"]
    if crd["metadata"]["name"] != f"{names['plural']}.{spec['group']}":
        error(where, "metadata.name must be <plural>.<group>")
    if names["kind"] == "Service":
        error(where, "kind Service would clash with the core Service")
    storage = [v for v in spec["versions"] if v.get("storage")]
    if len(storage) != 1:
        error(where, "exactly one version must be the storage version")
    for version in spec["versions"]:
        vwhere = f"{where} version {version['name']}"
        schema = version["schema"]["openAPIV3Schema"]
        check_structural(schema, f"{vwhere} openAPIV3Schema")
        meta = schema.get("properties", {}).get("metadata")
        if meta is not None:
            extra = set(meta.get("properties", {})) - {"name", "generateName"}
            if extra:
                error(vwhere, f"metadata may only restrict name and generateName, not {extra}")
        for column in version.get("additionalPrinterColumns", []):
            if column["jsonPath"] != ".metadata.creationTimestamp" and schema_at(
                    schema, column["jsonPath"]) is None:
                error(vwhere, f"printer column {column['name']}: {column['jsonPath']} "
                      "is not in the schema")
        scale = version.get("subresources", {}).get("scale")
        if scale:
            for key in ("specReplicasPath", "statusReplicasPath"):
                target = schema_at(schema, scale[key])
                if target is None or target.get("type") != "integer":
                    error(vwhere, f"scale {key} {scale[key]} is not an integer field")


# --- 3. CRD schemas against the proto ----------------------------------------

# enum name -> its value names, filled by parse_proto_messages (enums are
# strings in the proto's JSON mapping).
ENUMS = {}


def parse_proto_messages(paths):
    """message name -> {json_name: (label, type)} for every message in `paths`."""
    messages = {}
    field_re = re.compile(
        r"^\s*(optional\s+|repeated\s+)?(map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+\s*;")
    for path in paths:
        stack = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("//", 1)[0]
                m = re.match(r"^\s*message\s+(\w+)\s*\{", line)
                if m:
                    stack.append(("message", m.group(1)))
                    messages[m.group(1)] = {}
                    continue
                m = re.match(r"^\s*(oneof|enum|service)\s+(\w+)\s*\{", line)
                if m:
                    stack.append((m.group(1), m.group(2)))
                    if m.group(1) == "enum":
                        ENUMS[m.group(2)] = []
                    continue
                if "}" in line and stack:
                    stack.pop()
                    continue
                if stack and stack[-1][0] == "enum":
                    m = re.match(r"^\s*(\w+)\s*=\s*\d+\s*;", line)
                    if m:
                        ENUMS[stack[-1][1]].append(m.group(1))
                    continue
                msg = next((name for kind, name in reversed(stack) if kind == "message"), None)
                if msg is None or (stack and stack[-1][0] == "service"):
                    continue
                m = field_re.match(line)
                if m:
                    label = (m.group(1) or "").strip()
                    ftype, fname = m.group(2), m.group(3)
                    json_name = re.sub(r"_([a-z0-9])", lambda x: x.group(1).upper(), fname)
                    messages[msg][json_name] = (label, ftype)
    return messages


SCALARS = {
    "string": ("string",),
    "bool": ("boolean",),
    "uint32": ("integer",),
    "uint64": ("integer",),
    "int32": ("integer",),
    "int64": ("integer",),
    "double": ("number",),
    "float": ("number",),
}


def compare_schema_to_message(schema, message, messages, where):
    fields = messages[message]
    props = schema.get("properties", {})
    for name in fields.keys() - props.keys():
        error(where, f"proto field {message}.{name} is missing from the schema")
    for name in props.keys() - fields.keys():
        error(where, f"schema property '{name}' is not a field of {message}")
    for name in fields.keys() & props.keys():
        label, ftype = fields[name]
        sub = props[name]
        fwhere = f"{where}.{name}"
        if label == "repeated":
            if sub.get("type") != "array":
                error(fwhere, f"repeated {ftype} must be an array")
                continue
            sub = sub["items"]
        if ftype.startswith("map<"):
            if sub.get("type") != "object" or "additionalProperties" not in sub:
                error(fwhere, f"{ftype} must be an object with additionalProperties")
            continue
        if ftype in SCALARS:
            ok = sub.get("type") in SCALARS[ftype] or (
                ftype == "string" and sub.get("x-kubernetes-int-or-string"))
            if not ok:
                error(fwhere, f"proto {ftype} does not match schema type {sub.get('type')}")
            continue
        if ftype in ENUMS:
            if sub.get("type") != "string":
                error(fwhere, f"enum {ftype} must be a string")
            elif "enum" in sub and set(sub["enum"]) != set(ENUMS[ftype]):
                error(fwhere, f"enum values {sub['enum']} are not {ftype}'s {ENUMS[ftype]}")
            continue
        if ftype == "google.protobuf.Timestamp":
            if sub.get("type") != "string" or sub.get("format") != "date-time":
                error(fwhere, "google.protobuf.Timestamp must be a date-time string")
            continue
        if ftype in messages:
            if sub.get("type") != "object":
                error(fwhere, f"message {ftype} must be an object")
                continue
            compare_schema_to_message(sub, ftype, messages, fwhere)
            continue
        error(fwhere, f"internal: unhandled proto type {ftype}")


# kind -> (proto message of the resource) for the onvm.io kinds.
CRD_TO_PROTO = {"NfService": "Service", "Chain": "Chain", "Rule": "Rule"}


def check_crd_against_proto(crd, messages, where):
    kind = crd["spec"]["names"]["kind"]
    resource = CRD_TO_PROTO.get(kind)
    if resource is None:
        error(where, f"no proto message known for kind {kind}")
        return
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    props = schema["properties"]
    for part in ("spec", "status"):
        label, ftype = messages[resource][part]
        compare_schema_to_message(props[part], ftype, messages, f"{where} .{part}")


# --- 4. custom resources against their CRD's schema --------------------------

def strict_schema(schema, top=False):
    """The schema as the test enforces it: int-or-string spelled out for
    jsonschema, and unknown properties rejected (except in metadata, which
    the API server validates itself)."""
    s = copy.deepcopy(schema)
    if s.pop("x-kubernetes-int-or-string", False):
        s["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    for name, sub in list(s.get("properties", {}).items()):
        s["properties"][name] = strict_schema(sub)
    if isinstance(s.get("items"), dict):
        s["items"] = strict_schema(s["items"])
    if isinstance(s.get("additionalProperties"), dict):
        s["additionalProperties"] = strict_schema(s["additionalProperties"])
    if (s.get("type") == "object" and "properties" in s and "additionalProperties" not in s
            and not s.get("x-kubernetes-preserve-unknown-fields")):
        s["additionalProperties"] = False
    if top:
        meta = s["properties"].get("metadata")
        if meta is not None:
            meta.pop("additionalProperties", None)
    return s


def validate_cr(obj, crds):
    """Error messages for one custom object (empty: valid)."""
    api_version = obj.get("apiVersion", "")
    kind = obj.get("kind", "")
    crd = crds.get((api_version.split("/")[0], kind))
    if crd is None:
        return [f"no CustomResourceDefinition for {api_version} {kind}"]
    version = api_version.split("/")[1] if "/" in api_version else ""
    served = {v["name"]: v for v in crd["spec"]["versions"] if v.get("served")}
    if version not in served:
        return [f"version {version!r} of {kind} is not served"]
    name = obj.get("metadata", {}).get("name")
    if not isinstance(name, str) or not name:
        return ["metadata.name is required"]
    schema = strict_schema(served[version]["schema"]["openAPIV3Schema"], top=True)
    validator = jsonschema.Draft4Validator(schema)
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))]


# Broken copies of the examples that must be rejected: (kind, object name,
# change, what it shows).
def _set(path, value):
    def change(obj):
        node = obj
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _delete(path):
    def change(obj):
        node = obj
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


MUTATIONS = [
    ("NfService", "fwd", _set(["spec", "replica"], 1), "misspelt field"),
    ("NfService", "fwd", _set(["spec", "replicas"], -1), "negative replicas"),
    ("NfService", "fw", _set(["spec", "launch", "args"], "--deny"), "args not a list"),
    ("NfService", "fw", _set(["spec", "launch", "env"], {"A": 1}), "env value not a string"),
    ("NfService", "fwd", _set(["metadata", "name"], "Fwd"), "name not a DNS label"),
    ("Chain", "demo", _set(["spec", "services"], []), "empty chain"),
    ("Chain", "demo", _delete(["spec", "then"]), "no then"),
    ("Chain", "demo", _set(["spec", "then"], {"out": "lan", "drop": True}), "out and drop"),
    ("Chain", "web", _set(["spec", "then"], {"drop": False}), "drop false"),
    ("Rule", "web-in", _set(["spec", "priority"], 70000), "priority out of range"),
    ("Rule", "web-in", _set(["spec", "priority"], "high"), "priority not a number"),
    ("Rule", "web-in", _set(["spec", "match", "vlanId"], 5000), "VLAN id out of range"),
    ("Rule", "web-in", _set(["spec", "match", "dstPort"], "80"), "misspelt match field"),
    ("Rule", "web-in", _set(["spec", "match", "dstPorts"], [80]), "port list"),
    ("Rule", "web-in", _set(["spec", "action"], {}), "no action target"),
    ("Rule", "web-in", _set(["spec", "action"], {"chain": "web", "out": "lan"}), "two targets"),
    ("Rule", "demo-in", _delete(["spec", "action"]), "no action"),
]


# --- 5. kubectl, where installed ---------------------------------------------

def run_kubectl(kubectl, args, root):
    env = dict(os.environ)
    env["KUBECONFIG"] = os.path.join(root, "nonexistent-kubeconfig")
    return subprocess.run([kubectl] + args, capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def check_with_kubectl(kube_dir, files, documents):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl: not installed, kubectl checks skipped (the model and schema "
              "checks above still ran)")
        return
    version = run_kubectl(kubectl, ["version", "--client"], kube_dir)
    print(f"kubectl: {kubectl}: {version.stdout.strip().splitlines()[0] if version.stdout else '?'}")
    r = run_kubectl(kubectl, ["kustomize", kube_dir], kube_dir)
    if r.returncode != 0:
        error("kubectl kustomize", r.stderr.strip())
    else:
        rendered = [d for d in yaml.safe_load_all(r.stdout) if d]
        listed = yaml.safe_load(open(os.path.join(kube_dir, "kustomization.yaml")))["resources"]
        want = sum(len(documents[os.path.join(kube_dir, f)]) for f in listed)
        if len(rendered) != want:
            error("kubectl kustomize", f"rendered {len(rendered)} objects, want {want}")
        else:
            print(f"kubectl kustomize: {len(rendered)} objects")
    for path in files:
        r = run_kubectl(kubectl, ["annotate", "--local", "-o", "json", "-f", path,
                                  "onvm.io/checked=true"], kube_dir)
        if r.returncode != 0:
            error(f"kubectl annotate --local {path}", r.stderr.strip())
            continue
        items = []
        decoder = json.JSONDecoder()
        text, pos = r.stdout, 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            obj, pos = decoder.raw_decode(text, pos)
            items.extend(obj["items"] if obj.get("kind") == "List" else [obj])
        if len(items) != len(documents[path]):
            error(f"kubectl {path}", f"read {len(items)} objects, want {len(documents[path])}")
    print(f"kubectl annotate --local: read {len(files)} files")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    kube_dir = os.path.join(root, "deploy", "kubernetes")
    files = sorted(glob.glob(os.path.join(kube_dir, "*.yaml")))
    files = [f for f in files if os.path.basename(f) != "kustomization.yaml"]
    if not files:
        print(f"no manifests in {kube_dir}")
        return 1
    documents = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            try:
                documents[path] = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                error(path, f"not YAML: {e}")
                documents[path] = []

    crds = {}
    custom = []
    counts = {}
    for path, docs in documents.items():
        for i, doc in enumerate(docs):
            where = f"{os.path.relpath(path, root)} document {i + 1}"
            key = (doc.get("apiVersion"), doc.get("kind"))
            counts[key[1]] = counts.get(key[1], 0) + 1
            if key in BUILTIN_KINDS:
                check_model(doc, BUILTIN_KINDS[key], where)
                if key[1] == "CustomResourceDefinition":
                    check_crd(doc, where)
                    crds[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = doc
            elif isinstance(key[0], str) and key[0].startswith("onvm.io/"):
                custom.append((where, doc))
            else:
                error(where, f"unexpected kind {key}")
    for kind in ("Namespace", "ConfigMap", "Service", "DaemonSet"):
        if counts.get(kind, 0) < 1:
            error(kube_dir, f"no {kind}")
    if {k for _, k in crds} != set(CRD_TO_PROTO):
        error(kube_dir, f"CRDs for {sorted(k for _, k in crds)}, want {sorted(CRD_TO_PROTO)}")

    proto_dir = os.path.join(root, "proto", "onvm", "v1")
    messages = parse_proto_messages(
        [os.path.join(proto_dir, f) for f in ("service.proto", "chain.proto", "rule.proto")])
    for (_, kind), crd in crds.items():
        check_crd_against_proto(crd, messages, f"CRD {kind}")

    by_name = {}
    for where, obj in custom:
        for message in validate_cr(obj, crds):
            error(where, message)
        by_name[(obj.get("kind"), obj.get("metadata", {}).get("name"))] = obj
    for kind in CRD_TO_PROTO:
        if not any(k == kind for k, _ in by_name):
            error(kube_dir, f"no example {kind} object")
    for kind, name, change, what in MUTATIONS:
        original = by_name.get((kind, name))
        if original is None:
            error("mutations", f"example {kind} {name} is missing")
            continue
        broken = copy.deepcopy(original)
        change(broken)
        if not validate_cr(broken, crds):
            error("mutations", f"{kind} {name} with {what} was accepted")

    check_with_kubectl(kube_dir, files, documents)

    total = sum(len(d) for d in documents.values())
    print(f"checked {total} objects in {len(files)} files: {len(crds)} CRDs, "
          f"{len(custom)} custom objects, {len(MUTATIONS)} broken copies rejected")
    if ERRORS:
        print(f"{len(ERRORS)} errors:")
        for e in ERRORS:
            print(f"  {e}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
