#!/usr/bin/env python3
"""Static checks of the Kubernetes deployment (deploy/kubernetes): what the
API requires of each object, that the Jobs run deploy/pb-shard's steps with
the settings it reads, and that the image the Containerfile makes holds what
they run. No cluster here: nothing is applied. tests/lint/kubernetes.sh runs
it on the tree, then with --self-test, which breaks copies of the files in
memory, one way per check, and wants each break caught.

  kubernetes.py --top SRCDIR --context DIR [--self-test]

DIR is a build context made by deploy/kubernetes/image-context.sh."""
import argparse
import copy
import os
import re
import sys

import yaml

DEPLOY = "deploy/kubernetes"
PB_SHARD = "deploy/pb-shard"
CONTAINERFILE = DEPLOY + "/Containerfile"

# Proxy variables libcurl reads itself (probe-builder's core reads only
# http_proxy and HTTP_PROXY, found by getenv below); apt reads the
# lowercase ones too.
CURL_ENV = {"http_proxy", "https_proxy", "no_proxy", "all_proxy",
            "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"}
# Set by Kubernetes in each pod of an Indexed Job: never by hand.
K8S_INDEX = "JOB_COMPLETION_INDEX"

# What each step writes and reads, by the setting naming the path.
STEP_PATHS = {
    "crawl": {"write": ["PB_PLAN", "PB_WORKSPACE"], "read": []},
    "build": {"write": ["PB_OUTPUT", "PB_WORKSPACE"],
              "read": ["PB_PLAN", "PROBE_BUILDER_TOOLCHAIN_DIR"]},
    "merge": {"write": ["PB_OUTPUT"], "read": []},
    "toolchains": {"write": ["PROBE_BUILDER_TOOLCHAIN_DIR"], "read": []},
}
# Settings one step leaves for another: the same volume in both.
HANDOVER = [("PB_PLAN", "crawl", "build"), ("PB_OUTPUT", "build", "merge"),
            ("PROBE_BUILDER_TOOLCHAIN_DIR", "toolchains", "build")]
APPLY_ORDER = ["toolchains", "crawl", "build", "merge"]

# The fields of the API objects used here (Kubernetes 1.33 reference): a
# misspelt field is an error of `kubectl apply` (strict field validation),
# which nothing here runs.
FIELDS = {
    "object": {"apiVersion", "kind", "metadata", "spec", "data",
               "binaryData", "immutable"},
    "metadata": {"name", "namespace", "labels", "annotations",
                 "generateName"},
    "JobSpec": {"activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex",
                "completionMode", "completions", "managedBy", "manualSelector",
                "maxFailedIndexes", "parallelism", "podFailurePolicy",
                "podReplacementPolicy", "selector", "successPolicy", "suspend",
                "template", "ttlSecondsAfterFinished"},
    "PodTemplateSpec": {"metadata", "spec"},
    "PodSpec": {"activeDeadlineSeconds", "affinity",
                "automountServiceAccountToken", "containers", "dnsConfig",
                "dnsPolicy", "enableServiceLinks", "ephemeralContainers",
                "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers",
                "hostname", "imagePullSecrets", "initContainers", "nodeName",
                "nodeSelector", "os", "overhead", "preemptionPolicy",
                "priority", "priorityClassName", "readinessGates",
                "resourceClaims", "resources", "restartPolicy",
                "runtimeClassName", "schedulerName", "schedulingGates",
                "securityContext", "serviceAccountName",
                "setHostnameAsFQDN", "shareProcessNamespace", "subdomain",
                "terminationGracePeriodSeconds", "tolerations",
                "topologySpreadConstraints", "volumes"},
    "Container": {"args", "command", "env", "envFrom", "image",
                  "imagePullPolicy", "lifecycle", "livenessProbe", "name",
                  "ports", "readinessProbe", "resizePolicy", "resources",
                  "restartPolicy", "securityContext", "startupProbe", "stdin",
                  "stdinOnce", "terminationMessagePath",
                  "terminationMessagePolicy", "tty", "volumeDevices",
                  "volumeMounts", "workingDir"},
    "SecurityContext": {"allowPrivilegeEscalation", "appArmorProfile",
                        "capabilities", "privileged", "procMount",
                        "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot",
                        "runAsUser", "seLinuxOptions", "seccompProfile",
                        "windowsOptions"},
    "PodSecurityContext": {"appArmorProfile", "fsGroup",
                           "fsGroupChangePolicy", "runAsGroup",
                           "runAsNonRoot", "runAsUser", "seLinuxChangePolicy",
                           "seLinuxOptions", "seccompProfile",
                           "supplementalGroups", "supplementalGroupsPolicy",
                           "sysctls", "windowsOptions"},
    "VolumeMount": {"mountPath", "mountPropagation", "name", "readOnly",
                    "recursiveReadOnly", "subPath", "subPathExpr"},
    "EnvVar": {"name", "value", "valueFrom"},
    "EnvFromSource": {"configMapRef", "prefix", "secretRef"},
    "PersistentVolumeClaimSpec": {"accessModes", "dataSource",
                                  "dataSourceRef", "resources", "selector",
                                  "storageClassName",
                                  "volumeAttributesClassName", "volumeMode",
                                  "volumeName"},
}
VOLUME_SOURCES = {"persistentVolumeClaim", "emptyDir", "configMap", "secret",
                  "hostPath", "projected", "downwardAPI", "ephemeral", "csi",
                  "nfs", "image"}
KINDS = {"PersistentVolumeClaim": "v1", "ConfigMap": "v1", "Job": "batch/v1"}
ACCESS_MODES = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                "ReadWriteOncePod"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a key given twice in a mapping is an error
    (PyYAML keeps the last one silently; the API server refuses it)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class Tree:
    """The files the checks read, as text, so that the self-test can break
    copies of them in memory."""

    def __init__(self, top, context):
        self.files = {}
        self.context = {}  # relative path in the build context -> (text, mode)
        names = sorted(os.listdir(os.path.join(top, DEPLOY)))
        for n in names:
            if n.endswith((".yaml", ".yml")) or n == "Containerfile":
                self.read(top, DEPLOY + "/" + n)
        self.read(top, PB_SHARD)
        self.read(top, "debian/control")
        for n in sorted(os.listdir(os.path.join(top, "toolchains"))):
            if n.endswith(".toolchain"):
                self.read(top, "toolchains/" + n)
        # every getenv("NAME") of the core and the plugins: what
        # probe-builder itself reads
        self.getenv = set()
        for sub in ("core", "plugins"):
            for d, _, fs in os.walk(os.path.join(top, sub)):
                for f in fs:
                    if f.endswith(".c"):
                        with open(os.path.join(d, f), errors="replace") as fh:
                            self.getenv |= set(re.findall(
                                r'getenv\("([A-Za-z_][A-Za-z0-9_]*)"\)',
                                fh.read()))
        for d, ds, fs in os.walk(context):
            for sub in ds:  # an empty dir is copied too (COPY keyrings/)
                rel = os.path.relpath(os.path.join(d, sub), context)
                self.context[rel + "/"] = (None, 0o40755)
            for f in fs:
                p = os.path.join(d, f)
                rel = os.path.relpath(p, context)
                with open(p, "rb") as fh:
                    data = fh.read()
                self.context[rel] = (data, os.stat(p).st_mode)

    def read(self, top, rel):
        with open(os.path.join(top, rel)) as fh:
            self.files[rel] = fh.read()

    def yaml_files(self):
        return [f for f in sorted(self.files)
                if f.startswith(DEPLOY + "/") and f.endswith((".yaml", ".yml"))]


class Check:
    def __init__(self, tree):
        self.t = tree
        self.fails = []

    def fail(self, where, msg):
        self.fails.append("FAIL: %s: %s" % (where, msg))

    # ---- the inputs -----------------------------------------------------

    def load(self):
        """Every YAML document of deploy/kubernetes, parsed strictly."""
        objs = []
        for f in self.t.yaml_files():
            try:
                docs = list(yaml.load_all(self.t.files[f],
                                          Loader=UniqueKeyLoader))
            except yaml.YAMLError as e:
                self.fail(f, "not valid YAML: %s" % str(e).replace("\n", " "))
                continue
            for i, d in enumerate(docs):
                if d is None:
                    continue
                if not isinstance(d, dict):
                    self.fail("%s (document %d)" % (f, i + 1),
                              "not a mapping: not an API object")
                    continue
                objs.append({"file": f, "doc": i + 1, "obj": d})
        if not objs:
            self.fail(DEPLOY, "no object in any *.yaml")
        return objs

    def pb_shard(self):
        """The steps of deploy/pb-shard, what each needs, every setting it
        reads, and the variable that gives Kubernetes' shard count."""
        text = self.t.files[PB_SHARD]
        code = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
        steps, needs, step = {}, {}, None
        for l in code:
            m = re.match(r"^([a-z]+)\)\s*$", l)
            if m:
                step = m.group(1)
                steps[step] = []
                needs[step] = set()
                continue
            if re.match(r"^\s*;;\s*$", l):
                step = None
                continue
            if step:
                steps[step].append(l)
                m = re.match(r"^\s*need((\s+[A-Z_][A-Z0-9_]*)+)\s*$", l)
                if m:
                    needs[step] |= set(m.group(1).split())
        reads = set()
        for l in code:
            reads |= set(re.findall(r"\$\{?((?:PB_|PROBE_BUILDER)[A-Z0-9_]*)",
                                    l))
        if not steps:
            self.fail(PB_SHARD, "no step found (case branches 'NAME)')")
        for s in steps:
            if not needs[s]:
                self.fail(PB_SHARD, "step %s checks no setting (need)" % s)
        # the header says which variable gives the count next to
        # Kubernetes' JOB_COMPLETION_INDEX
        header = " ".join(l.lstrip("# ").strip() for l in text.splitlines()
                          if l.startswith("#"))
        m = re.search(K8S_INDEX + r"\s+with\s+([A-Z_][A-Z0-9_]*)", header)
        count = m.group(1) if m else None
        if not count:
            self.fail(PB_SHARD, "its header no longer says which variable "
                      "gives the shard count with %s" % K8S_INDEX)
        if "build" in steps and not any("--shard auto" in l
                                        for l in steps["build"]):
            self.fail(PB_SHARD, "its build step does not pass --shard auto: "
                      "the Indexed Job's pods would not find their shard")
        return steps, needs, reads, count

    def toolchain_names(self):
        names = set()
        for f, text in self.t.files.items():
            if f.startswith("toolchains/"):
                m = re.search(r"^name\s*=\s*(\S+)", text, re.M)
                if m:
                    names.add(m.group(1))
        return names

    # ---- generic API shape ----------------------------------------------

    def fields(self, where, d, schema):
        if not isinstance(d, dict):
            self.fail(where, "must be a mapping (%s)" % schema)
            return False
        for k in d:
            if k not in FIELDS[schema]:
                self.fail(where, "'%s' is not a field of %s" % (k, schema))
        return True

    def quantity(self, where, v):
        if not isinstance(v, (str, int)) or isinstance(v, bool) or \
                not QUANTITY.match(str(v)):
            self.fail(where, "%r is not a quantity" % (v,))

    def object(self, o):
        d, f = o["obj"], o["file"]
        kind = d.get("kind")
        name = (d.get("metadata") or {}).get("name") \
            if isinstance(d.get("metadata"), dict) else None
        where = "%s: %s/%s" % (f, kind, name)
        o["where"], o["kind"], o["name"] = where, kind, name
        self.fields(where, d, "object")
        for k in ("apiVersion", "kind", "metadata"):
            if k not in d:
                self.fail(where, "has no %s" % k)
        if kind not in KINDS:
            self.fail(where, "kind %r is not one this lint checks (%s): add "
                      "its checks" % (kind, ", ".join(sorted(KINDS))))
            return False
        if d.get("apiVersion") != KINDS[kind]:
            self.fail(where, "apiVersion %r: %s is %s" %
                      (d.get("apiVersion"), kind, KINDS[kind]))
        if "metadata" in d and self.fields(where + " metadata", d["metadata"],
                                           "metadata"):
            if not isinstance(name, str) or not DNS_LABEL.match(name) or \
                    len(name) > 63:
                self.fail(where, "metadata.name %r is not a DNS label "
                          "(lower case, digits, '-', at most 63)" % (name,))
        return True

    def pvc(self, o):
        d, where = o["obj"], o["where"]
        spec = d.get("spec")
        if not self.fields(where + " spec", spec, "PersistentVolumeClaimSpec"):
            return
        modes = spec.get("accessModes")
        if not isinstance(modes, list) or not modes:
            self.fail(where, "spec.accessModes is missing or empty")
        else:
            for m in modes:
                if m not in ACCESS_MODES:
                    self.fail(where, "access mode %r is not one of %s" %
                              (m, ", ".join(sorted(ACCESS_MODES))))
        st = ((spec.get("resources") or {}).get("requests") or {}) \
            .get("storage")
        if st is None:
            self.fail(where, "spec.resources.requests.storage is missing")
        else:
            self.quantity(where + " storage", st)

    def configmap(self, o):
        d, where = o["obj"], o["where"]
        data = d.get("data")
        if not isinstance(data, dict):
            self.fail(where, "data must be a mapping")
            return
        for k, v in data.items():
            if not isinstance(k, str) or not CM_KEY.match(k):
                self.fail(where, "data key %r is not a valid key" % (k,))
            if not isinstance(v, str):
                self.fail(where, "data.%s is %r, not a string: quote it "
                          "(the API wants strings)" % (k, v))

    def job(self, o, names):
        d, where = o["obj"], o["where"]
        spec = d.get("spec")
        if not self.fields(where + " spec", spec, "JobSpec"):
            return
        tmpl = spec.get("template")
        if not self.fields(where + " spec.template", tmpl, "PodTemplateSpec"):
            return
        pod = tmpl.get("spec")
        if not self.fields(where + " spec.template.spec", pod, "PodSpec"):
            return
        rp = pod.get("restartPolicy")
        if rp not in ("Never", "OnFailure"):
            self.fail(where, "restartPolicy %r: a Job's pods want Never or "
                      "OnFailure" % (rp,))
        if "securityContext" in pod:
            self.fields(where + " pod securityContext", pod["securityContext"],
                        "PodSecurityContext")
        for k in ("completions", "parallelism", "backoffLimit",
                  "backoffLimitPerIndex"):
            if k in spec and (not isinstance(spec[k], int) or
                              isinstance(spec[k], bool) or spec[k] < 0):
                self.fail(where, "spec.%s %r is not a count" % (k, spec[k]))
        cm = spec.get("completionMode", "NonIndexed")
        if cm not in ("Indexed", "NonIndexed"):
            self.fail(where, "completionMode %r is not Indexed or "
                      "NonIndexed" % (cm,))
        if "backoffLimitPerIndex" in spec and (cm != "Indexed" or
                                               rp != "Never"):
            self.fail(where, "backoffLimitPerIndex wants completionMode "
                      "Indexed and restartPolicy Never")
        if "podFailurePolicy" in spec and rp != "Never":
            self.fail(where, "podFailurePolicy wants restartPolicy Never")

        # volumes
        vols = {}
        for i, v in enumerate(pod.get("volumes") or []):
            vw = "%s volume %d" % (where, i)
            if not isinstance(v, dict) or not isinstance(v.get("name"), str) \
                    or not DNS_LABEL.match(v["name"]):
                self.fail(vw, "needs a name that is a DNS label")
                continue
            if v["name"] in vols:
                self.fail(vw, "volume %s declared twice" % v["name"])
            src = [k for k in v if k != "name"]
            if len(src) != 1 or src[0] not in VOLUME_SOURCES:
                self.fail(vw, "volume %s wants exactly one source (%s), has "
                          "%s" % (v["name"], ", ".join(sorted(VOLUME_SOURCES)),
                                  src))
                continue
            vols[v["name"]] = v
            if src[0] == "persistentVolumeClaim":
                cn = (v[src[0]] or {}).get("claimName")
                if cn not in names["PersistentVolumeClaim"]:
                    self.fail(vw, "claimName %r names no "
                              "PersistentVolumeClaim of %s" % (cn, DEPLOY))
        o["volumes"] = vols

        ctrs = pod.get("containers")
        if not isinstance(ctrs, list) or not ctrs:
            self.fail(where, "spec.template.spec.containers is missing or "
                      "empty")
            ctrs = []
        seen = set()
        o["containers"] = []
        for i, c in enumerate(ctrs):
            cw = "%s container %d" % (where, i)
            if not self.fields(cw, c, "Container"):
                continue
            cname = c.get("name")
            if not isinstance(cname, str) or not DNS_LABEL.match(cname):
                self.fail(cw, "needs a name that is a DNS label")
            elif cname in seen:
                self.fail(cw, "container name %s given twice" % cname)
            seen.add(cname)
            cw = "%s container %s" % (where, cname)
            if not isinstance(c.get("image"), str) or not c["image"]:
                self.fail(cw, "has no image")
            if "securityContext" in c:
                self.fields(cw + " securityContext", c["securityContext"],
                            "SecurityContext")
            mounts = []
            paths = set()
            for m in c.get("volumeMounts") or []:
                if not self.fields(cw + " volumeMount", m, "VolumeMount"):
                    continue
                if m.get("name") not in vols:
                    self.fail(cw, "volumeMount %r names no volume of the pod"
                              % (m.get("name"),))
                    continue
                mp = m.get("mountPath")
                if not isinstance(mp, str) or not mp.startswith("/"):
                    self.fail(cw, "volumeMount %s: mountPath %r is not "
                              "absolute" % (m["name"], mp))
                    continue
                if mp in paths:
                    self.fail(cw, "two volumes mounted at %s" % mp)
                paths.add(mp)
                mounts.append(m)
            env = {}
            for e in c.get("env") or []:
                if not self.fields(cw + " env", e, "EnvVar"):
                    continue
                n = e.get("name")
                if not isinstance(n, str) or not n:
                    self.fail(cw, "an env entry has no name")
                    continue
                if n in env:
                    self.fail(cw, "env %s given twice" % n)
                if "value" in e and not isinstance(e["value"], str):
                    self.fail(cw, "env %s is %r, not a string: quote it" %
                              (n, e["value"]))
                env[n] = e.get("value")
            froms = {}
            for e in c.get("envFrom") or []:
                if not self.fields(cw + " envFrom", e, "EnvFromSource"):
                    continue
                ref = (e.get("configMapRef") or {}).get("name")
                if ref not in names["ConfigMap"]:
                    self.fail(cw, "envFrom names %r, no ConfigMap of %s" %
                              (ref, DEPLOY))
                    continue
                for k, v in names["ConfigMap"][ref].items():
                    froms[(e.get("prefix") or "") + k] = v
            # what the container sees: env wins over envFrom
            eff = dict(froms)
            eff.update(env)
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for k, v in (res.get(part) or {}).items():
                    self.quantity("%s resources.%s.%s" % (cw, part, k), v)
            o["containers"].append({"c": c, "where": cw, "mounts": mounts,
                                    "env": env, "eff": eff})
        for r in (spec.get("podFailurePolicy") or {}).get("rules") or []:
            oc = r.get("onExitCodes") or {}
            if "containerName" in oc and oc["containerName"] not in seen:
                self.fail(where, "podFailurePolicy names container %r, not "
                          "one of the pod" % (oc["containerName"],))

    # ---- the run: steps, settings, paths, image -------------------------

    def step_of(self, c, steps, tc_names):
        """'crawl', 'build', 'merge' or 'toolchains', or None (a FAIL)."""
        cmd = list(c["c"].get("command") or []) + \
            list(c["c"].get("args") or [])
        if len(cmd) == 2 and cmd[0] == "pb-shard":
            if cmd[1] in steps:
                return cmd[1]
            self.fail(c["where"], "pb-shard %s: not a step of %s (%s)" %
                      (cmd[1], PB_SHARD, "|".join(sorted(steps))))
            return None
        if cmd[:3] == ["probe-builder", "toolchains", "make"]:
            if len(cmd) == 3:
                self.fail(c["where"], "toolchains make names no toolchain")
            for n in cmd[3:]:
                if n not in tc_names:
                    self.fail(c["where"], "toolchain %s is not defined in "
                              "toolchains/*.toolchain" % n)
            return "toolchains"
        self.fail(c["where"], "runs %r: a Job here runs `pb-shard "
                  "crawl|build|merge` (the same script the Slurm test runs) "
                  "or `probe-builder toolchains make NAME...`" % (cmd,))
        return None

    def mount_of(self, c, path):
        best = None
        for m in c["mounts"]:
            mp = m["mountPath"].rstrip("/") or "/"
            if path == mp or path.startswith(mp + "/") or mp == "/":
                if best is None or len(mp) > len(best["mountPath"]):
                    best = m
        return best

    def run(self, objs, pbs):
        steps, needs, reads, count_var = pbs
        tc_names = self.toolchain_names()
        allowed = reads | self.t.getenv | CURL_ENV
        if count_var:
            allowed.add(count_var)
        names = {"PersistentVolumeClaim": {}, "ConfigMap": {}}
        for o in objs:
            if o.get("kind") in names:
                if o["name"] in names[o["kind"]]:
                    self.fail(o["where"], "%s %s defined twice" %
                              (o["kind"], o["name"]))
                names[o["kind"]][o["name"]] = \
                    o["obj"].get("data") or {} if o["kind"] == "ConfigMap" \
                    else o["obj"]
        for o in objs:
            if o.get("kind") == "ConfigMap" and K8S_INDEX in \
                    (o["obj"].get("data") or {}):
                self.fail(o["where"], "sets %s: Kubernetes sets it in each "
                          "pod of an Indexed Job" % K8S_INDEX)

        found = {}  # step -> (job object, container)
        images = set()
        for o in objs:
            if o.get("kind") != "Job" or "containers" not in o:
                continue
            spec = o["obj"]["spec"]
            for c in o["containers"]:
                images.add(c["c"].get("image"))
                step = self.step_of(c, steps, tc_names)
                if not step:
                    continue
                if step in found:
                    self.fail(c["where"], "step %s runs twice (also in %s)" %
                              (step, found[step][0]["where"]))
                found[step] = (o, c)
                self.settings(o, c, step, allowed, needs)
                indexed = spec.get("completionMode") == "Indexed"
                if step == "build":
                    self.indexed(o, c, count_var)
                    self.sandbox(o, c)
                elif indexed or spec.get("completions", 1) != 1 or \
                        spec.get("parallelism", 1) != 1:
                    self.fail(o["where"], "step %s runs in one pod, once: "
                              "no completionMode Indexed, completions and "
                              "parallelism 1" % step)
                if step == "toolchains":
                    sc = c["c"].get("securityContext") or {}
                    if not sc.get("privileged") and "SYS_CHROOT" not in \
                            ((sc.get("capabilities") or {}).get("add") or []):
                        self.fail(c["where"], "mmdebstrap chroots: add "
                                  "capability SYS_CHROOT (CRI-O does not "
                                  "grant it by default)")
        for s in ("crawl", "build", "merge"):
            if s not in found:
                self.fail(DEPLOY, "no Job runs `pb-shard %s`" % s)
        if len(images) > 1:
            self.fail(DEPLOY, "the Jobs run different images %s: one "
                      "builder image, the Containerfile's" % sorted(images))
        self.handover(found)
        order = [found[s][0]["file"] for s in APPLY_ORDER if s in found]
        if order != sorted(order):
            self.fail(DEPLOY, "the files do not sort in the order they are "
                      "applied (%s): %s" % (", ".join(APPLY_ORDER), order))
        return found

    def settings(self, o, c, step, allowed, needs):
        for n in c["eff"]:
            if n == K8S_INDEX:
                self.fail(c["where"], "sets %s: Kubernetes sets it in each "
                          "pod of an Indexed Job" % K8S_INDEX)
            elif step == "build" and (n.endswith("_INDEX") or
                                      n.startswith("SLURM_")):
                self.fail(c["where"], "sets %s: the shard's index comes from "
                          "%s" % (n, K8S_INDEX))
            elif n not in allowed:
                self.fail(c["where"], "sets %s, which neither %s nor "
                          "probe-builder reads" % (n, PB_SHARD))
        for n in sorted(needs.get(step, ())):
            if not c["eff"].get(n):
                self.fail(c["where"], "pb-shard %s needs %s, which is not set"
                          % (step, n))
        for kind in ("write", "read"):
            for var in STEP_PATHS[step][kind]:
                p = c["eff"].get(var)
                if not p:
                    # the others are pb-shard's, checked by its need
                    if var == "PROBE_BUILDER_TOOLCHAIN_DIR":
                        self.fail(c["where"], "%s is not set: %s" % (
                            var, "each pod would make the environments in "
                            "its own home" if step == "build"
                            else "where to make them"))
                    continue
                if not p.startswith("/"):
                    self.fail(c["where"], "%s=%s is not absolute" % (var, p))
                    continue
                m = self.mount_of(c, p)
                if m is None:
                    self.fail(c["where"], "%s=%s is on no volume of the pod "
                              "(mounted: %s)" % (var, p, ", ".join(
                                  x["mountPath"] for x in c["mounts"])))
                elif kind == "write" and m.get("readOnly"):
                    self.fail(c["where"], "%s=%s is written by %s, but %s is "
                              "mounted read-only" % (var, p, step,
                                                     m["mountPath"]))
        if step == "build":
            src = c["eff"].get("PB_SOURCE")
            dests = self.copy_dests()
            if src and not self.mount_of(c, src) and not any(
                    src == d.rstrip("/") or src.startswith(d.rstrip("/") + "/")
                    for d in dests):
                self.fail(c["where"], "PB_SOURCE=%s is neither in the image "
                          "(the Containerfile copies to %s) nor on a volume"
                          % (src, ", ".join(sorted(dests))))

    def indexed(self, o, c, count_var):
        spec = o["obj"]["spec"]
        if spec.get("completionMode") != "Indexed":
            self.fail(o["where"], "pb-shard build runs in an Indexed Job "
                      "(completionMode: Indexed): each pod's shard is its "
                      "%s" % K8S_INDEX)
        n, p = spec.get("completions"), spec.get("parallelism")
        if n != p:
            self.fail(o["where"], "completions %r != parallelism %r: every "
                      "shard at once" % (n, p))
        if count_var:
            v = c["env"].get(count_var)
            if v is None:
                self.fail(c["where"], "%s is not in the container's env, "
                          "beside completions" % count_var)
            elif str(v) != str(n):
                self.fail(c["where"], "%s=%s, but completions is %r: shards "
                          "would be lost or overlap" % (count_var, v, n))

    def sandbox(self, o, c):
        pod = o["obj"]["spec"]["template"]["spec"]
        psc = pod.get("securityContext") or {}
        sc = c["c"].get("securityContext") or {}
        if sc.get("procMount") == "Unmasked" and pod.get("hostUsers") is \
                not False:
            self.fail(c["where"], "procMount Unmasked wants the pod's "
                      "hostUsers: false (the API refuses it otherwise)")
        if sc.get("privileged") or "--sandbox=off" in \
                (c["eff"].get("PB_EXTRA") or "").split():
            return
        want = []
        if pod.get("hostUsers") is not False:
            want.append("hostUsers: false")
        if sc.get("procMount") != "Unmasked":
            want.append("procMount: Unmasked")
        for f in ("seccompProfile", "appArmorProfile"):
            t = (sc.get(f) or psc.get(f) or {}).get("type")
            if t != "Unconfined":
                want.append("%s Unconfined" % f)
        if want:
            self.fail(c["where"], "bubblewrap cannot make its sandbox "
                      "without %s (or privileged: true, or PB_EXTRA "
                      "--sandbox=off)" % ", ".join(want))

    def handover(self, found):
        for var, frm, to in HANDOVER:
            if frm not in found or to not in found:
                continue
            got = []
            for s in (frm, to):
                o, c = found[s]
                p = c["eff"].get(var)
                m = self.mount_of(c, p) if p else None
                v = o["volumes"].get(m["name"]) if m else None
                claim = (v or {}).get("persistentVolumeClaim", {}) \
                    .get("claimName") if v else None
                got.append((p, claim))
            (p1, c1), (p2, c2) = got
            if p1 != p2 or not c1 or c1 != c2:
                self.fail(DEPLOY, "%s goes from %s to %s, but it is %s on "
                          "volume %s there and %s on volume %s here: the "
                          "same path on the same PersistentVolumeClaim" %
                          (var, frm, to, p1, c1, p2, c2))
        # a volume the shards share at once
        if "build" in found:
            o, c = found["build"]
            if (o["obj"]["spec"].get("parallelism") or 1) > 1:
                for m in c["mounts"]:
                    v = o["volumes"][m["name"]]
                    cn = (v.get("persistentVolumeClaim") or {}) \
                        .get("claimName")
                    pvc = self.pvcs.get(cn)
                    if not pvc:
                        continue
                    modes = pvc.get("spec", {}).get("accessModes") or []
                    ok = "ReadWriteMany" in modes or (
                        m.get("readOnly") and "ReadOnlyMany" in modes)
                    if not ok:
                        self.fail(c["where"], "the shards mount %s at once, "
                                  "but it is %s: ReadWriteMany" %
                                  (cn, modes))

    # ---- the image -------------------------------------------------------

    def copies(self):
        out = []
        for l in self.t.files[CONTAINERFILE].splitlines():
            w = l.split()
            if w and w[0].upper() == "COPY":
                args = [a for a in w[1:] if not a.startswith("--")]
                if len(args) >= 2:
                    out.append((args[:-1], args[-1]))
        return out

    def copy_dests(self):
        return {d for _, d in self.copies()}

    def containerfile(self):
        cf = self.t.files[CONTAINERFILE]
        froms = [l.split()[1] for l in cf.splitlines()
                 if l.split() and l.split()[0].upper() == "FROM"]
        if not froms or froms[0] != "debian:bookworm":
            self.fail(CONTAINERFILE, "the image is not FROM debian:bookworm "
                      "(the packages are built there)")
        shard = [(s, d) for s, d in self.copies()
                 if any(os.path.basename(x.rstrip("/")) == "pb-shard"
                        for x in s)]
        if not shard:
            self.fail(CONTAINERFILE, "no COPY of pb-shard: the Jobs run it")
        for s, d in shard:
            if d not in ("/usr/local/bin/pb-shard", "/usr/local/bin/"):
                self.fail(CONTAINERFILE, "pb-shard is copied to %s, not "
                          "/usr/local/bin (the PATH the Jobs run it from)" % d)
        for srcs, _ in self.copies():
            for s in srcs:
                rel = s.rstrip("/")
                if rel not in self.t.context and \
                        rel + "/" not in self.t.context:
                    self.fail(CONTAINERFILE, "COPY %s: image-context.sh "
                              "puts no such file in the context" % s)
        staged = self.t.context.get("pb-shard")
        if staged is None:
            self.fail(DEPLOY + "/image-context.sh", "the context has no "
                      "pb-shard")
        else:
            if staged[0].decode(errors="replace") != self.t.files[PB_SHARD]:
                self.fail(DEPLOY + "/image-context.sh", "the context's "
                          "pb-shard is not deploy/pb-shard")
            if not staged[1] & 0o111:
                self.fail(DEPLOY + "/image-context.sh", "the context's "
                          "pb-shard is not executable")
        # what probe-builder depends on and recommends, by name (apt installs
        # no recommends); what it suggests, in VERIFY_PACKAGES
        ctl = self.control()
        own = set(ctl)
        code = "\n".join(l for l in cf.splitlines()
                         if not l.lstrip().startswith("#"))
        words = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", code))
        verify = re.search(r'^ARG VERIFY_PACKAGES="([^"]*)"', cf, re.M)
        verify = set(verify.group(1).split()) if verify else set()
        for field in ("Depends", "Recommends", "Suggests"):
            for alts in ctl.get("probe-builder", {}).get(field, []):
                if any(a in own for a in alts):
                    continue  # one of this project's packages: from debs/
                pool = verify if field == "Suggests" else words
                if not any(a in pool for a in alts):
                    self.fail(CONTAINERFILE, "probe-builder %s %s, which "
                              "the image does not install%s" % (
                                  field.lower().rstrip("s") + "s",
                                  " | ".join(alts),
                                  " in VERIFY_PACKAGES"
                                  if field == "Suggests" else ""))
        debs = [k for k in self.t.context if k.startswith("debs/")]
        for p in ("probe-builder", "libprobe-builder0",
                  "probe-builder-plugin-debian", "probe-builder-plugin-ubuntu",
                  "probe-builder-plugin-centos"):
            if p not in own:
                self.fail("debian/control", "no package %s" % p)
            if not any(os.path.basename(d).startswith(p + "_") for d in debs):
                self.fail(DEPLOY + "/image-context.sh", "the context has no "
                          "%s_*.deb" % p)

    def control(self):
        """debian/control: each package's relation fields, as lists of
        alternatives, substitution variables left out."""
        out = {}
        for stanza in re.split(r"\n\s*\n", self.t.files["debian/control"]):
            fields, cur = {}, None
            for l in stanza.splitlines():
                if l[:1] in (" ", "\t") and cur:
                    fields[cur] += " " + l.strip()
                elif ":" in l:
                    cur, v = l.split(":", 1)
                    fields[cur] = v.strip()
            if "Package" not in fields:
                continue
            rel = {}
            for f in ("Depends", "Recommends", "Suggests"):
                rel[f] = []
                for item in fields.get(f, "").split(","):
                    alts = [re.sub(r"\(.*?\)|\[.*?\]", "", a).strip()
                            for a in item.split("|")]
                    alts = [a for a in alts if a and not a.startswith("${")]
                    if alts:
                        rel[f].append(alts)
            out[fields["Package"]] = rel
        return out

    # ---- all of it ---------------------------------------------------------

    def all(self):
        pbs = self.pb_shard()
        objs = self.load()
        for o in objs:
            if not self.object(o):
                continue
        self.pvcs = {o["name"]: o["obj"] for o in objs
                     if o.get("kind") == "PersistentVolumeClaim"}
        for o in objs:
            if o.get("kind") == "PersistentVolumeClaim":
                self.pvc(o)
            elif o.get("kind") == "ConfigMap":
                self.configmap(o)
        names = {"PersistentVolumeClaim": self.pvcs,
                 "ConfigMap": {o["name"]: o["obj"].get("data") or {}
                               for o in objs if o.get("kind") == "ConfigMap"}}
        for o in objs:
            if o.get("kind") == "Job":
                self.job(o, names)
        self.run(objs, pbs)
        self.containerfile()
        return self.fails


# ---- self-test: each check caught breaking a copy ---------------------------

Y = DEPLOY + "/"
# (file, text in it, what it becomes, a piece of the FAIL wanted)
MUTATIONS = [
    (Y + "30-build.yaml", "completionMode: Indexed\n",
     "completionMode: Indexed\n  completionMode: Indexed\n",
     "duplicate key 'completionMode'"),
    (Y + "30-build.yaml", "  parallelism: 4\n", "  parallelism: 4\n\t",
     "not valid YAML"),
    (Y + "40-merge.yaml", "apiVersion: batch/v1\n", "", "has no apiVersion"),
    (Y + "40-merge.yaml", "apiVersion: batch/v1\n", "apiVersion: v1\n",
     "apiVersion 'v1': Job is batch/v1"),
    (Y + "40-merge.yaml", "name: pb-merge\n", "name: PB_merge\n",
     "is not a DNS label"),
    (Y + "40-merge.yaml", "kind: Job\n", "kind: CronJob\n",
     "kind 'CronJob' is not one this lint checks"),
    (Y + "00-storage.yaml", "name: pb-toolchains\n", "name: pb-shared\n",
     "PersistentVolumeClaim pb-shared defined twice"),
    (Y + "00-storage.yaml", "accessModes: [ReadWriteMany]\n",
     "accessModes: [ReadWriteMany, ReadWriteSome]\n",
     "access mode 'ReadWriteSome'"),
    (Y + "00-storage.yaml", "  accessModes: [ReadWriteMany]\n", "",
     "spec.accessModes is missing"),
    (Y + "00-storage.yaml", "storage: 50Gi\n", "size: 50Gi\n",
     "spec.resources.requests.storage is missing"),
    (Y + "00-storage.yaml", "storage: 50Gi\n", "storage: 50 GB\n",
     "'50 GB' is not a quantity"),
    (Y + "00-storage.yaml", "accessModes: [ReadWriteMany]\n",
     "accessModes: [ReadWriteOnce]\n", "but it is ['ReadWriteOnce']"),
    (Y + "00-storage.yaml", "  resources:\n", "  resource:\n",
     "'resource' is not a field of PersistentVolumeClaimSpec"),
    (Y + "01-settings.yaml", 'PB_JOBS: "2"', "PB_JOBS: 2",
     "data.PB_JOBS is 2, not a string"),
    (Y + "01-settings.yaml", "  PB_DISTRO: debian\n",
     "  PB_DISTRO: debian\n  JOB_COMPLETION_INDEX: \"0\"\n",
     "sets JOB_COMPLETION_INDEX"),
    (Y + "01-settings.yaml", "  PB_DISTRO: debian\n",
     "  PB_DISTRO: debian\n  PB_DISTRIBUTION: debian\n",
     "sets PB_DISTRIBUTION, which neither"),
    (Y + "01-settings.yaml", "  PB_PROBE: newswatch\n", "",
     "pb-shard build needs PB_PROBE, which is not set"),
    (Y + "01-settings.yaml", "  PB_OUTPUT: /shared/output\n",
     "  PB_OUTPUT: /output\n", "PB_OUTPUT=/output is on no volume"),
    (Y + "01-settings.yaml", "  PB_SOURCE: /opt/probe\n",
     "  PB_SOURCE: /srv/probe\n", "PB_SOURCE=/srv/probe is neither"),
    (Y + "01-settings.yaml", "  PROBE_BUILDER_TOOLCHAIN_DIR: /toolchains\n",
     "", "PROBE_BUILDER_TOOLCHAIN_DIR is not set"),
    (Y + "01-settings.yaml", "  PB_WORKSPACE: /work\n",
     "  PB_WORKSPACE: work\n", "PB_WORKSPACE=work is not absolute"),
    (Y + "30-build.yaml", "      restartPolicy: Never\n",
     "      restartPolicy: Always\n", "restartPolicy 'Always'"),
    (Y + "30-build.yaml", "  completionMode: Indexed\n", "",
     "pb-shard build runs in an Indexed Job"),
    (Y + "30-build.yaml", "  completionMode: Indexed\n",
     "  completionMode: Indxed\n", "completionMode 'Indxed'"),
    (Y + "30-build.yaml", "  backoffLimitPerIndex: 1\n",
     "  backoffLimitPerIndx: 1\n", "'backoffLimitPerIndx' is not a field"),
    (Y + "30-build.yaml", "  parallelism: 4\n", "  parallelism: 2\n",
     "completions 4 != parallelism 2"),
    (Y + "30-build.yaml", "  completions: 4\n  parallelism: 4\n",
     "  completions: 8\n  parallelism: 8\n", "PB_SHARD_COUNT=4, but "
     "completions is 8"),
    (Y + "30-build.yaml", '              value: "4"\n',
     "              value: 4\n", "env PB_SHARD_COUNT is 4, not a string"),
    (Y + "30-build.yaml", "            - name: PB_SHARD_COUNT\n",
     "            - name: JOB_COMPLETION_INDEX\n              value: \"0\"\n"
     "            - name: PB_SHARD_COUNT\n", "sets JOB_COMPLETION_INDEX"),
    (Y + "30-build.yaml", "            - name: PB_SHARD_COUNT\n",
     "            - name: PB_SHARD_INDEX\n              value: \"0\"\n"
     "            - name: PB_SHARD_COUNT\n", "sets PB_SHARD_INDEX: the "
     "shard's index comes from"),
    (Y + "30-build.yaml", "          command: [pb-shard, build]\n",
     "          command: [pb-shard, compile]\n",
     "pb-shard compile: not a step"),
    (Y + "30-build.yaml", "          command: [pb-shard, build]\n",
     "          command: [probe-builder, build]\n", "runs ['probe-builder', "
     "'build']"),
    (Y + "30-build.yaml", "          command: [pb-shard, build]\n",
     "          command: [pb-shard, merge]\n", "step merge runs twice"),
    (Y + "30-build.yaml", "            - name: toolchains\n              "
     "mountPath: /toolchains\n", "            - name: toolchain\n"
     "              mountPath: /toolchains\n",
     "volumeMount 'toolchain' names no volume"),
    (Y + "30-build.yaml", "            claimName: pb-shared\n",
     "            claimName: pb-output\n",
     "claimName 'pb-output' names no PersistentVolumeClaim"),
    (Y + "30-build.yaml", "            claimName: pb-shared\n",
     "            claimName: pb-toolchains\n",
     "PB_PLAN goes from crawl to build"),
    (Y + "30-build.yaml", "            - name: shared\n              "
     "mountPath: /shared\n", "            - name: shared\n              "
     "mountPath: /shared\n              readOnly: true\n",
     "PB_OUTPUT=/shared/output is written by build, but /shared is mounted "
     "read-only"),
    (Y + "30-build.yaml", "          image: registry.example.org/",
     "          image: registry.example.com/", "the Jobs run different "
     "images"),
    (Y + "30-build.yaml", "            procMount: Unmasked\n", "",
     "without procMount: Unmasked"),
    (Y + "30-build.yaml", "      hostUsers: false\n", "",
     "procMount Unmasked wants the pod's hostUsers: false"),
    (Y + "30-build.yaml", "            seccompProfile:\n              type: "
     "Unconfined\n", "", "without seccompProfile Unconfined"),
    (Y + "30-build.yaml", "            appArmorProfile:\n              type: "
     "Unconfined\n", "            appArmorProfile:\n              type: "
     "RuntimeDefault\n", "without appArmorProfile Unconfined"),
    (Y + "30-build.yaml", "            procMount: Unmasked\n",
     "            procMout: Unmasked\n",
     "'procMout' is not a field of SecurityContext"),
    (Y + "30-build.yaml", "          containerName: build\n",
     "          containerName: builder\n",
     "podFailurePolicy names container 'builder'"),
    (Y + "30-build.yaml", "              cpu: \"2\"\n",
     "              cpu: two\n", "'two' is not a quantity"),
    (Y + "20-crawl.yaml", "  backoffLimit: 2\n",
     "  backoffLimit: 2\n  parallelism: 2\n",
     "step crawl runs in one pod, once"),
    (Y + "20-crawl.yaml", "            - configMapRef:\n                "
     "name: pb-settings\n", "            - configMapRef:\n                "
     "name: pb-setting\n", "envFrom names 'pb-setting'"),
    (Y + "20-crawl.yaml", "              mountPath: /shared\n",
     "              mountPath: shared\n", "mountPath 'shared' is not absolute"),
    (Y + "40-merge.yaml", "          command: [pb-shard, merge]\n",
     "          command: [pb-shard, crawl]\n", "no Job runs `pb-shard merge`"),
    (Y + "40-merge.yaml", "      containers:\n        - name: merge\n",
     "      containers:\n        - name: Merge\n",
     "needs a name that is a DNS label"),
    (Y + "10-toolchains.yaml", "debian-bullseye-gcc-10]",
     "debian-buster-gcc-8]", "toolchain debian-buster-gcc-8 is not defined"),
    (Y + "10-toolchains.yaml", "              add: [SYS_CHROOT]\n",
     "              add: []\n", "add capability SYS_CHROOT"),
    (Y + "10-toolchains.yaml", "            - name: toolchains\n              "
     "mountPath: /toolchains\n", "            - name: toolchains\n"
     "              mountPath: /toolchains\n              readOnly: true\n",
     "PROBE_BUILDER_TOOLCHAIN_DIR=/toolchains is written by toolchains"),
    (Y + "Containerfile", "FROM debian:bookworm\n", "FROM debian:trixie\n",
     "not FROM debian:bookworm"),
    (Y + "Containerfile", "COPY pb-shard /usr/local/bin/pb-shard\n", "",
     "no COPY of pb-shard"),
    (Y + "Containerfile", "COPY pb-shard /usr/local/bin/pb-shard\n",
     "COPY pb-shard /opt/pb-shard\n", "pb-shard is copied to /opt/pb-shard"),
    (Y + "Containerfile", "COPY probe/ /opt/probe/\n",
     "COPY source/ /opt/probe/\n", "COPY source/: image-context.sh puts"),
    (Y + "Containerfile", " dwarves kmod", " kmod",
     "probe-builder recommends dwarves"),
    (Y + "Containerfile", "\tbubblewrap mmdebstrap", "\tmmdebstrap",
     "probe-builder depends bubblewrap"),
    (Y + "Containerfile", 'ARG VERIFY_PACKAGES="qemu-system-x86 '
     'busybox-static"', 'ARG VERIFY_PACKAGES="qemu-system-x86"',
     "suggests busybox-static, which the image does not install in "
     "VERIFY_PACKAGES"),
    (PB_SHARD, "--shard auto -k", "--shard 0/1 -k",
     "does not pass --shard auto"),
    (PB_SHARD, "JOB_COMPLETION_INDEX\n# with PB_SHARD_COUNT",
     "JOB_COMPLETION_INDEX\n# and PB_SHARD_COUNT",
     "no longer says which variable gives the shard count"),
    (PB_SHARD, "\tneed PB_OUTPUT\n", "\tneed PB_OUTPUT PB_MERGE_TO\n",
     "pb-shard merge needs PB_MERGE_TO, which is not set"),
    (PB_SHARD, '"${PB_JOBS:-1}"', '"${PB_THREADS:-1}"',
     "sets PB_JOBS, which neither"),
]
# files renamed: (old, new, the FAIL wanted)
RENAMES = [
    (Y + "20-crawl.yaml", Y + "50-crawl.yaml", "do not sort in the order"),
]
# the build context image-context.sh made, broken
CONTEXT_MUTATIONS = [
    ("pb-shard", lambda d, m: (d + b"\n# changed\n", m),
     "the context's pb-shard is not deploy/pb-shard"),
    ("pb-shard", lambda d, m: (d, m & ~0o111),
     "the context's pb-shard is not executable"),
]


def self_test(tree):
    bad = 0
    fails = Check(tree).all()
    if fails:
        print("\n".join(fails))
        print("FAIL: the tree itself fails the checks: the self-test needs it "
              "clean")
        return 1
    for i, (f, old, new, want) in enumerate(MUTATIONS, 1):
        t = copy.deepcopy(tree)
        if f not in t.files or old not in t.files[f]:
            print("FAIL: mutation %d: %r is no longer in %s: update it" %
                  (i, old, f))
            bad = 1
            continue
        t.files[f] = t.files[f].replace(old, new, 1)
        got = Check(t).all()
        if not any(want in g for g in got):
            print("FAIL: mutation %d of %s (%r -> %r) was not caught as %r; "
                  "said: %s" % (i, f, old, new, want, got or "nothing"))
            bad = 1
    for old, new, want in RENAMES:
        t = copy.deepcopy(tree)
        t.files[new] = t.files.pop(old)
        got = Check(t).all()
        if not any(want in g for g in got):
            print("FAIL: renaming %s to %s was not caught as %r; said: %s" %
                  (old, new, want, got or "nothing"))
            bad = 1
    for rel, change, want in CONTEXT_MUTATIONS:
        t = copy.deepcopy(tree)
        t.context[rel] = change(*t.context[rel])
        got = Check(t).all()
        if not any(want in g for g in got):
            print("FAIL: a context break was not caught as %r; said: %s" %
                  (want, got or "nothing"))
            bad = 1
    if not bad:
        print("PASS: each of %d breaks of a copy of the files was caught" %
              (len(MUTATIONS) + len(RENAMES) + len(CONTEXT_MUTATIONS)))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", required=True)
    ap.add_argument("--context", required=True)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    tree = Tree(a.top, a.context)
    if a.self_test:
        return self_test(tree)
    fails = Check(tree).all()
    if fails:
        print("\n".join(fails))
        return 1
    print("PASS: %s: %d objects in %d files; pb-shard's steps, settings and "
          "the image agree" % (DEPLOY, sum(
              1 for f in tree.yaml_files()
              for d in yaml.safe_load_all(tree.files[f]) if d),
              len(tree.yaml_files())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
