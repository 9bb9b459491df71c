package simulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
)

// What the kubelets of a simulated cluster would report, registered through
// its Kubernetes API with the admin credentials, and kept in step with the
// nodes (every kubeReconcileEvery, and at once when a node changes):
//
//   - a Node per node of the cluster whose kubelet registered (it booted
//     configured with a running kubelet), named by its address, InternalIP
//     the address, labelled as the kubelet and Talos label it; Ready while
//     it runs with its kubelet, Unknown while it is rebooting, powered off
//     or its kubelet is down (the fault kubeletDown), as the node lifecycle
//     controller marks it, and False under the fault nodeNotReady. A node
//     re-imaged or configured for another cluster leaves.
//   - the control planes' mirror pods of their static pods, kube-apiserver-,
//     kube-controller-manager- and kube-scheduler-<node> in kube-system,
//     Ready while their node is and the component runs (the fault
//     staticPodDown names one that does not: its container is in
//     CrashLoopBackOff).
//   - CoreDNS: a ReplicaSet (k8s-app=kube-dns) with two pods on the control
//     planes, unless the configuration disables CoreDNS; kube-proxy: a
//     DaemonSet with a pod per node, only when the configuration does not
//     disable it (cluster.proxy.disabled). A pod is Ready while its node is.
//   - the service accounts those pods run as, and the "default" ones the
//     service account controller would make (the ServiceAccount admission
//     plugin needs them; no kube-controller-manager runs).
//
// On each control plane, the COSI resources StaticPodStatus (namespace k8s,
// IDs kube-system/<pod>) say what its kubelet says of its static pods, as
// machined's KubeletStaticPodController does: present while the kubelet
// runs, with the pod's status.

// simulatedNode* are what every node's kubelet reports of its machine.
const (
	simulatedKernel     = "6.6.32-talos"
	simulatedContainerd = "containerd://1.7.16"
	defaultKubeVersion  = "v1.30.1"
	specAnnotation      = "talos-sim.cloudkoffer.dev/spec"
	mergePatch          = "application/merge-patch+json"
)

// controlPlaneComponents are the static pods of a control plane.
var controlPlaneComponents = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// kubeState is what the reconcile loop registered through one kube-apiserver.
type kubeState struct {
	// applied: objects created, by key, with the digests of what was sent.
	applied map[string]appliedObject
	// uids of the objects created, by key (owner references).
	uids map[string]string
	// registered: the nodes whose kubelet registered.
	registered map[string]bool
	// since: when a state (by key) was first seen, for transition times.
	since map[string]sinceEntry
	// coredns: the nodes the CoreDNS pods run on.
	coredns []string
	// cosi: the StaticPodStatus written, "<boot ID>/<id>" to the digest of its status.
	cosi map[string]string
}

type appliedObject struct {
	path   string // where it is (for its deletion)
	spec   string
	status string
}

type sinceEntry struct {
	state string
	at    time.Time
}

func newKubeState() *kubeState {
	return &kubeState{
		applied:    map[string]appliedObject{},
		uids:       map[string]string{},
		registered: map[string]bool{},
		since:      map[string]sinceEntry{},
		cosi:       map[string]string{},
	}
}

// forgetApplied forgets what was created and written (a new kube-apiserver
// starts): the next round creates it again, or finds it there.
func (s *kubeState) forgetApplied() {
	s.applied = map[string]appliedObject{}
	s.uids = map[string]string{}
	s.cosi = map[string]string{}
}

// sinceState is when key was first seen in state (now if it just changed).
func (s *kubeState) sinceState(key, state string, now time.Time) time.Time {
	if entry, ok := s.since[key]; ok && entry.state == state {
		return entry.at
	}

	s.since[key] = sinceEntry{state: state, at: now}

	return now
}

// kubeObject is one object the reconcile loop keeps: its body (metadata and
// spec, created once) and its status (patched when it changes).
type kubeObject struct {
	key        string
	collection string // e.g. /api/v1/namespaces/kube-system/pods
	name       string
	body       map[string]any
	status     map[string]any // nil: none
}

func (o kubeObject) path() string { return o.collection + "/" + o.name }

// kubeNodeFacts is a node of the cluster as the kubelet on it would see it.
type kubeNodeFacts struct {
	address       string
	controlPlane  bool
	up            bool // running configured (its API and kubelet may serve)
	boot          *bootSession
	kubeletDown   bool
	notReady      bool
	staticPodDown string
	talosVersion  string
	cfg           config.Provider
}

// kubeletVersion is the version of the node's kubelet: its image's tag.
func (f kubeNodeFacts) kubeletVersion() string {
	image := f.cfg.Machine().Kubelet().Image()
	if i := strings.LastIndex(image, ":"); i >= 0 && strings.HasPrefix(image[i+1:], "v") {
		return image[i+1:]
	}

	return defaultKubeVersion
}

// kubeletRuns: the node is up and its kubelet runs.
func (f kubeNodeFacts) kubeletRuns() bool { return f.up && !f.kubeletDown }

// facts are the nodes configured for the cluster, in the simulator's order.
func (k *kubeCluster) facts() []kubeNodeFacts {
	var facts []kubeNodeFacts

	for _, node := range k.sim.allNodes() {
		node.mu.Lock()
		if node.config != nil && clusterID(node) == k.id {
			facts = append(facts, kubeNodeFacts{
				address:       node.address,
				controlPlane:  node.config.Machine().Type().IsControlPlane(),
				up:            node.mode == ModeConfigured && node.session != nil,
				boot:          node.session,
				kubeletDown:   node.faults.KubeletDown,
				notReady:      node.faults.NodeNotReady,
				staticPodDown: node.faults.StaticPodDown,
				talosVersion:  node.talosVersion,
				cfg:           node.config,
			})
		}
		node.mu.Unlock()
	}

	return facts
}

// reconcile brings the cluster's Kubernetes objects and the control planes'
// StaticPodStatus in step with the nodes.
func (k *kubeCluster) reconcile(client *kubeClient) {
	ctx, cancel := context.WithTimeout(k.ctx, 30*time.Second)
	defer cancel()

	st := k.state
	facts := k.facts()
	now := k.sim.now()

	var members []kubeNodeFacts

	for _, f := range facts {
		if f.kubeletRuns() {
			st.registered[f.address] = true
		}
	}

	for address := range st.registered {
		if !slices.ContainsFunc(facts, func(f kubeNodeFacts) bool { return f.address == address }) {
			delete(st.registered, address)
		}
	}

	for _, f := range facts {
		if st.registered[f.address] {
			members = append(members, f)
		}
	}

	var cfg config.Provider

	for _, f := range facts {
		if f.controlPlane {
			cfg = f.cfg

			break
		}
	}

	if cfg == nil {
		return
	}

	var errs []string

	desired := map[string]bool{}
	apply := func(objects []kubeObject) {
		for _, object := range objects {
			desired[object.key] = true

			if err := k.apply(ctx, client, object); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}

	apply(serviceAccounts())
	apply(k.owners(cfg, members, now))
	apply(k.pods(cfg, members, now))

	for key, object := range st.applied {
		if desired[key] {
			continue
		}

		if err := deleteObject(ctx, client, object.path); err != nil {
			errs = append(errs, err.Error())

			continue
		}

		delete(st.applied, key)
		delete(st.uids, key)
	}

	if err := k.staticPodStatuses(ctx, facts, now); err != nil {
		errs = append(errs, err.Error())
	}

	k.mu.Lock()
	k.lastError = strings.Join(errs, "; ")
	k.mu.Unlock()
}

// serviceAccounts are the service accounts the pods run as, and the
// "default" ones of the namespaces the kube-apiserver makes.
func serviceAccounts() []kubeObject {
	var objects []kubeObject

	account := func(namespace, name string) {
		objects = append(objects, kubeObject{
			key:        "serviceaccount/" + namespace + "/" + name,
			collection: "/api/v1/namespaces/" + namespace + "/serviceaccounts",
			name:       name,
			body: map[string]any{
				"apiVersion": "v1", "kind": "ServiceAccount",
				"metadata": map[string]any{"name": name, "namespace": namespace},
			},
		})
	}

	for _, namespace := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		account(namespace, "default")
	}

	account("kube-system", "coredns")
	account("kube-system", "kube-proxy")

	return objects
}

// nodeReadiness is the Ready condition of a node's Node: status, reason, message.
func nodeReadiness(f kubeNodeFacts) (status, reason, message string) {
	switch {
	case !f.up:
		return "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
	case f.kubeletDown:
		return "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status. (simulated fault kubeletDown: the kubelet has failed)"
	case f.notReady:
		return "False", "SimulatedNodeNotReady", "simulated fault nodeNotReady: the kubelet reports the node not ready"
	default:
		return "True", "KubeletReady", "kubelet is posting ready status"
	}
}

func nodeReady(f kubeNodeFacts) bool {
	status, _, _ := nodeReadiness(f)

	return status == "True"
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// shortHash is a stable hex name part of what it is given.
func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))

	return hex.EncodeToString(sum[:])
}

// podSuffix is a suffix as the ReplicaSet and DaemonSet controllers give their pods' names.
func podSuffix(parts ...string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"

	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	suffix := make([]byte, 5)

	for i := range suffix {
		suffix[i] = alphabet[int(sum[i])%len(alphabet)]
	}

	return string(suffix)
}

// owners are the Nodes, and the CoreDNS ReplicaSet and kube-proxy DaemonSet.
func (k *kubeCluster) owners(cfg config.Provider, members []kubeNodeFacts, now time.Time) []kubeObject {
	st := k.state

	var objects []kubeObject

	for _, f := range members {
		objects = append(objects, k.nodeObject(f, now))
	}

	if cfg.Cluster().CoreDNS().Enabled() {
		ready := 0

		for _, node := range k.corednsNodes(members) {
			if i := slices.IndexFunc(members, func(f kubeNodeFacts) bool { return f.address == node }); i >= 0 && nodeReady(members[i]) {
				ready++
			}
		}

		hash := corednsHash(cfg)
		labels := map[string]any{"k8s-app": "kube-dns", "pod-template-hash": hash}

		objects = append(objects, kubeObject{
			key:        "replicaset/kube-system/coredns",
			collection: "/apis/apps/v1/namespaces/kube-system/replicasets",
			name:       "coredns-" + hash,
			body: map[string]any{
				"apiVersion": "apps/v1", "kind": "ReplicaSet",
				"metadata": map[string]any{"name": "coredns-" + hash, "namespace": "kube-system", "labels": labels},
				"spec": map[string]any{
					"replicas": 2,
					"selector": map[string]any{"matchLabels": labels},
					"template": map[string]any{
						"metadata": map[string]any{"labels": labels},
						"spec":     corednsPodSpec(cfg, ""),
					},
				},
			},
			status: map[string]any{
				"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": ready, "availableReplicas": ready, "observedGeneration": 1,
			},
		})
	} else {
		st.coredns = nil
	}

	if cfg.Cluster().Proxy().Enabled() {
		ready := 0

		for _, f := range members {
			if nodeReady(f) {
				ready++
			}
		}

		labels := map[string]any{"k8s-app": "kube-proxy"}

		objects = append(objects, kubeObject{
			key:        "daemonset/kube-system/kube-proxy",
			collection: "/apis/apps/v1/namespaces/kube-system/daemonsets",
			name:       "kube-proxy",
			body: map[string]any{
				"apiVersion": "apps/v1", "kind": "DaemonSet",
				"metadata": map[string]any{"name": "kube-proxy", "namespace": "kube-system", "labels": labels},
				"spec": map[string]any{
					"selector": map[string]any{"matchLabels": labels},
					"template": map[string]any{
						"metadata": map[string]any{"labels": labels},
						"spec":     kubeProxyPodSpec(cfg, ""),
					},
				},
			},
			status: map[string]any{
				"currentNumberScheduled": len(members), "desiredNumberScheduled": len(members), "updatedNumberScheduled": len(members),
				"numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready, "numberUnavailable": len(members) - ready,
				"observedGeneration": 1,
			},
		})
	}

	return objects
}

// nodeObject is a node's Node, as its kubelet registers it and reports its status.
func (k *kubeCluster) nodeObject(f kubeNodeFacts, now time.Time) kubeObject {
	labels := map[string]any{
		"beta.kubernetes.io/arch": "amd64",
		"beta.kubernetes.io/os":   "linux",
		"kubernetes.io/arch":      "amd64",
		"kubernetes.io/hostname":  f.address,
		"kubernetes.io/os":        "linux",
	}

	spec := map[string]any{}

	if f.controlPlane {
		labels[constants.LabelNodeRoleControlPlane] = ""
		labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""

		if !f.cfg.Cluster().ScheduleOnControlPlanes() {
			spec["taints"] = []any{map[string]any{"key": constants.LabelNodeRoleControlPlane, "effect": "NoSchedule"}}
		}
	}

	status, reason, message := nodeReadiness(f)
	since := timestamp(k.state.sinceState("node/"+f.address+"/ready", status+reason, now))

	condition := func(kind, status, reason, message string) map[string]any {
		return map[string]any{
			"type": kind, "status": status, "reason": reason, "message": message,
			"lastHeartbeatTime": since, "lastTransitionTime": since,
		}
	}

	pressure := func(kind string) map[string]any {
		if status == "Unknown" {
			return condition(kind, "Unknown", reason, message)
		}

		return condition(kind, "False", "KubeletHas"+pressureReason(kind), "kubelet has "+pressureMessage(kind))
	}

	bootID := ""
	if f.boot != nil {
		bootID = f.boot.id
	}

	version := f.kubeletVersion()
	machineID := shortHash("machine-id", f.address)[:32]

	return kubeObject{
		key:        "node/" + f.address,
		collection: "/api/v1/nodes",
		name:       f.address,
		body: map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{
				"name":   f.address,
				"labels": labels,
				"annotations": map[string]any{
					"node.alpha.kubernetes.io/ttl":                           "0",
					"volumes.kubernetes.io/controller-managed-attach-detach": "true",
				},
			},
			"spec": spec,
		},
		status: map[string]any{
			"conditions": []any{
				pressure("MemoryPressure"),
				pressure("DiskPressure"),
				pressure("PIDPressure"),
				condition("Ready", status, reason, message),
			},
			"addresses": []any{
				map[string]any{"type": "InternalIP", "address": f.address},
				map[string]any{"type": "Hostname", "address": f.address},
			},
			"capacity":        nodeResources(),
			"allocatable":     nodeResources(),
			"daemonEndpoints": map[string]any{"kubeletEndpoint": map[string]any{"Port": constants.KubeletPort}},
			"nodeInfo": map[string]any{
				"machineID":               machineID,
				"systemUUID":              shortHash("system-uuid", f.address)[:32],
				"bootID":                  bootID,
				"kernelVersion":           simulatedKernel,
				"osImage":                 fmt.Sprintf("Talos (%s)", f.talosVersion),
				"containerRuntimeVersion": simulatedContainerd,
				"kubeletVersion":          version,
				"kubeProxyVersion":        version,
				"operatingSystem":         "linux",
				"architecture":            "amd64",
			},
		},
	}
}

func pressureReason(kind string) string {
	switch kind {
	case "MemoryPressure":
		return "SufficientMemory"
	case "DiskPressure":
		return "NoDiskPressure"
	default:
		return "SufficientPID"
	}
}

func pressureMessage(kind string) string {
	switch kind {
	case "MemoryPressure":
		return "sufficient memory available"
	case "DiskPressure":
		return "no disk pressure"
	default:
		return "sufficient PID available"
	}
}

// nodeResources are a node's capacity: what the Talos API reports of it.
func nodeResources() map[string]any {
	return map[string]any{
		"cpu":               "4",
		"memory":            fmt.Sprintf("%dKi", simulatedMemory/1024),
		"ephemeral-storage": fmt.Sprintf("%dKi", (simulatedDiskSize-systemPartitionsSize)/1024),
		"pods":              "110",
		"hugepages-2Mi":     "0",
	}
}

// corednsHash is the pod template hash of the CoreDNS ReplicaSet.
func corednsHash(cfg config.Provider) string {
	return podSuffix("coredns", cfg.Cluster().CoreDNS().Image()) + shortHash("coredns", cfg.Cluster().ID())[:5]
}

// corednsNodes are the nodes the two CoreDNS pods run on: control planes
// (CoreDNS tolerates their taint), kept while their node is a member.
func (k *kubeCluster) corednsNodes(members []kubeNodeFacts) []string {
	var candidates []string

	for _, f := range members {
		if f.controlPlane {
			candidates = append(candidates, f.address)
		}
	}

	if len(candidates) == 0 {
		for _, f := range members {
			candidates = append(candidates, f.address)
		}
	}

	if len(candidates) == 0 {
		k.state.coredns = nil

		return nil
	}

	placement := make([]string, 2)

	for i := range placement {
		if i < len(k.state.coredns) && slices.Contains(candidates, k.state.coredns[i]) {
			placement[i] = k.state.coredns[i]

			continue
		}

		// The candidate with the fewest CoreDNS pods so far.
		best := candidates[0]

		for _, candidate := range candidates {
			if count(placement, candidate) < count(placement, best) {
				best = candidate
			}
		}

		placement[i] = best
	}

	k.state.coredns = placement

	return placement
}

func count(values []string, value string) int {
	n := 0

	for _, v := range values {
		if v == value {
			n++
		}
	}

	return n
}

func corednsPodSpec(cfg config.Provider, nodeName string) map[string]any {
	return systemPodSpec("coredns", map[string]any{
		"name":  "coredns",
		"image": cfg.Cluster().CoreDNS().Image(),
		"args":  []any{"-conf", "/etc/coredns/Corefile"},
	}, []any{
		map[string]any{"key": "CriticalAddonsOnly", "operator": "Exists"},
		map[string]any{"key": constants.LabelNodeRoleControlPlane, "effect": "NoSchedule"},
	}, false, nodeName)
}

func kubeProxyPodSpec(cfg config.Provider, nodeName string) map[string]any {
	return systemPodSpec("kube-proxy", map[string]any{
		"name":    "kube-proxy",
		"image":   cfg.Cluster().Proxy().Image(),
		"command": []any{"/usr/local/bin/kube-proxy"},
	}, []any{map[string]any{"operator": "Exists"}}, true, nodeName)
}

// systemPodSpec is the pod spec of a kube-system workload that Talos
// deploys: its service account, one container, its tolerations; on
// nodeName when one is given (a pod rather than its template).
func systemPodSpec(serviceAccount string, container map[string]any, tolerations []any, hostNetwork bool, nodeName string) map[string]any {
	spec := map[string]any{
		"serviceAccountName":           serviceAccount,
		"automountServiceAccountToken": false,
		"priorityClassName":            "system-cluster-critical",
		"containers":                   []any{container},
		"tolerations":                  tolerations,
	}

	if hostNetwork {
		spec["hostNetwork"] = true
	}

	if nodeName != "" {
		spec["nodeName"] = nodeName
	}

	return spec
}

// componentImage is the image of a control plane component in the configuration.
func componentImage(cfg config.Provider, component string) string {
	switch component {
	case "kube-apiserver":
		return cfg.Cluster().APIServer().Image()
	case "kube-controller-manager":
		return cfg.Cluster().ControllerManager().Image()
	default:
		return cfg.Cluster().Scheduler().Image()
	}
}

// podState is what a pod's status says.
type podState struct {
	node         kubeNodeFacts
	hostNetwork  bool
	container    string
	image        string
	crashing     bool // the container is in CrashLoopBackOff (the fault staticPodDown)
	created, now time.Time
}

// podStatus is a pod's status as its kubelet reports it, and as the node
// lifecycle controller marks a pod of a node that is not ready.
func (k *kubeCluster) podStatus(key string, p podState) map[string]any {
	st := k.state
	bootID := ""

	if p.node.boot != nil {
		bootID = p.node.boot.id
	}

	ready := nodeReady(p.node) && !p.crashing
	started := timestamp(st.sinceState(key+"/started", bootID, p.now))
	since := timestamp(st.sinceState(key+"/ready", fmt.Sprint(ready, p.crashing), p.now))
	created := timestamp(p.created)

	readiness := "True"
	if !ready {
		readiness = "False"
	}

	condition := func(kind, status string) map[string]any {
		return map[string]any{"type": kind, "status": status, "lastProbeTime": nil, "lastTransitionTime": since}
	}

	containersReady, containerState := readiness, map[string]any{"running": map[string]any{"startedAt": started}}
	containerReady, restarts := true, 0

	var reasonConditions []any

	if p.crashing {
		containersReady = "False"
		containerReady, restarts = false, 5
		containerState = map[string]any{"waiting": map[string]any{
			"reason":  "CrashLoopBackOff",
			"message": fmt.Sprintf("back-off 5m0s restarting failed container=%s (simulated fault staticPodDown)", p.container),
		}}
	}

	readyCondition := condition("Ready", readiness)
	containersCondition := condition("ContainersReady", containersReady)

	if p.crashing {
		message := fmt.Sprintf("containers with unready status: [%s]", p.container)
		readyCondition["reason"], readyCondition["message"] = "ContainersNotReady", message
		containersCondition["reason"], containersCondition["message"] = "ContainersNotReady", message
	}

	reasonConditions = append(reasonConditions,
		map[string]any{"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": nil, "lastTransitionTime": started},
		map[string]any{"type": "Initialized", "status": "True", "lastProbeTime": nil, "lastTransitionTime": created},
		readyCondition,
		containersCondition,
		map[string]any{"type": "PodScheduled", "status": "True", "lastProbeTime": nil, "lastTransitionTime": created},
	)

	status := map[string]any{
		"phase":      "Running",
		"conditions": reasonConditions,
		"hostIP":     p.node.address,
		"hostIPs":    []any{map[string]any{"ip": p.node.address}},
		"startTime":  created,
		"containerStatuses": []any{map[string]any{
			"name":         p.container,
			"image":        p.image,
			"imageID":      p.image,
			"containerID":  "containerd://" + shortHash(key, bootID)[:64],
			"ready":        containerReady,
			"started":      !p.crashing,
			"restartCount": restarts,
			"state":        containerState,
		}},
	}

	if p.hostNetwork {
		status["podIP"] = p.node.address
		status["podIPs"] = []any{map[string]any{"ip": p.node.address}}
	}

	return status
}

// mirrorPod is the mirror pod of a control plane's static pod.
func (k *kubeCluster) mirrorPod(f kubeNodeFacts, component string, now time.Time) (kubeObject, map[string]any) {
	name := component + "-" + f.address
	key := "pod/kube-system/" + name
	hash := shortHash("static-pod", f.cfg.Cluster().ID(), f.address, component)[:32]
	image := componentImage(f.cfg, component)
	created := k.state.sinceState(key+"/created", "", now)

	status := k.podStatus(key, podState{
		node: f, hostNetwork: true, container: component, image: image,
		crashing: f.staticPodDown == component, created: created, now: now,
	})

	return kubeObject{
		key:        key,
		collection: "/api/v1/namespaces/kube-system/pods",
		name:       name,
		body: map[string]any{
			"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{
				"name":      name,
				"namespace": "kube-system",
				"labels":    map[string]any{"k8s-app": component, "tier": "control-plane"},
				"annotations": map[string]any{
					"kubernetes.io/config.hash":   hash,
					"kubernetes.io/config.mirror": hash,
					"kubernetes.io/config.seen":   timestamp(created),
					"kubernetes.io/config.source": "file",
				},
			},
			"spec": map[string]any{
				"nodeName":          f.address,
				"hostNetwork":       true,
				"priorityClassName": "system-cluster-critical",
				"containers": []any{map[string]any{
					"name":    component,
					"image":   image,
					"command": []any{"/usr/local/bin/" + component},
				}},
				"tolerations": []any{map[string]any{"operator": "Exists", "effect": "NoExecute"}},
			},
		},
		status: status,
	}, status
}

// pods are the mirror pods, the CoreDNS pods and the kube-proxy pods.
func (k *kubeCluster) pods(cfg config.Provider, members []kubeNodeFacts, now time.Time) []kubeObject {
	st := k.state

	var objects []kubeObject

	for _, f := range members {
		if !f.controlPlane {
			continue
		}

		for _, component := range controlPlaneComponents {
			pod, _ := k.mirrorPod(f, component, now)
			objects = append(objects, pod)
		}
	}

	member := func(address string) (kubeNodeFacts, bool) {
		i := slices.IndexFunc(members, func(f kubeNodeFacts) bool { return f.address == address })
		if i < 0 {
			return kubeNodeFacts{}, false
		}

		return members[i], true
	}

	if uid := st.uids["replicaset/kube-system/coredns"]; uid != "" && cfg.Cluster().CoreDNS().Enabled() {
		hash := corednsHash(cfg)

		for i, address := range st.coredns {
			f, ok := member(address)
			if !ok {
				continue
			}

			name := fmt.Sprintf("coredns-%s-%s", hash, podSuffix("coredns", hash, fmt.Sprint(i)))
			key := fmt.Sprintf("pod/kube-system/coredns-%d", i)
			created := st.sinceState(key+"/created", address, now)
			owner := map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "coredns-" + hash, "uid": uid, "controller": true, "blockOwnerDeletion": true}

			objects = append(objects, kubeSystemPod(key, name, map[string]any{"k8s-app": "kube-dns", "pod-template-hash": hash}, owner,
				corednsPodSpec(cfg, address),
				k.podStatus(key, podState{node: f, container: "coredns", image: cfg.Cluster().CoreDNS().Image(), created: created, now: now})))
		}
	}

	if uid := st.uids["daemonset/kube-system/kube-proxy"]; uid != "" && cfg.Cluster().Proxy().Enabled() {
		owner := map[string]any{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kube-proxy", "uid": uid, "controller": true, "blockOwnerDeletion": true}

		for _, f := range members {
			name := "kube-proxy-" + podSuffix("kube-proxy", f.address)
			key := "pod/kube-system/kube-proxy/" + f.address
			created := st.sinceState(key+"/created", "", now)

			objects = append(objects, kubeSystemPod(key, name, map[string]any{"k8s-app": "kube-proxy"}, owner,
				kubeProxyPodSpec(cfg, f.address),
				k.podStatus(key, podState{node: f, hostNetwork: true, container: "kube-proxy", image: cfg.Cluster().Proxy().Image(), created: created, now: now})))
		}
	}

	return objects
}

// kubeSystemPod is a pod of a kube-system workload: its labels, its owner
// (the ReplicaSet or DaemonSet), its spec and the status its kubelet reports.
func kubeSystemPod(key, name string, labels, owner, spec, status map[string]any) kubeObject {
	return kubeObject{
		key:        key,
		collection: "/api/v1/namespaces/kube-system/pods",
		name:       name,
		body: map[string]any{
			"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{
				"name": name, "namespace": "kube-system",
				"labels":          labels,
				"ownerReferences": []any{owner},
			},
			"spec": spec,
		},
		status: status,
	}
}

// digest is the JSON of a value, to see whether it changed.
func digest(value any) string {
	data, err := json.Marshal(value)
	if err != nil {
		panic(err) // the simulator's own maps always marshal
	}

	sum := sha256.Sum256(data)

	return hex.EncodeToString(sum[:])
}

// apply creates an object whose body changed (replacing the old one), and
// patches its status when it changed.
func (k *kubeCluster) apply(ctx context.Context, client *kubeClient, object kubeObject) error {
	st := k.state
	spec := digest(object.body)
	applied, known := st.applied[object.key]

	if !known || applied.spec != spec {
		if known {
			if err := deleteObject(ctx, client, applied.path); err != nil {
				return err
			}

			delete(st.applied, object.key)
			delete(st.uids, object.key)
		}

		uid, err := createObject(ctx, client, object, spec)
		if err != nil {
			return err
		}

		applied = appliedObject{path: object.path(), spec: spec}
		st.applied[object.key] = applied
		st.uids[object.key] = uid
	}

	if object.status == nil {
		return nil
	}

	status := digest(object.status)
	if applied.status == status {
		return nil
	}

	code, body, err := client.do(ctx, http.MethodPatch, object.path()+"/status", mergePatch, map[string]any{"status": object.status})
	if err != nil {
		return fmt.Errorf("status of %s: %w", object.path(), err)
	}

	if code != http.StatusOK {
		return fmt.Errorf("status of %s: %d %s", object.path(), code, apiMessage(body))
	}

	applied.status = status
	st.applied[object.key] = applied

	return nil
}

// createObject creates an object, marked with the digest of its body; one of
// that name there already is kept if it has the same body, else replaced. It
// returns the object's UID.
func createObject(ctx context.Context, client *kubeClient, object kubeObject, spec string) (string, error) {
	metadata, _ := object.body["metadata"].(map[string]any)    //nolint:errcheck // the simulator's own objects
	annotations, _ := metadata["annotations"].(map[string]any) //nolint:errcheck

	marked := map[string]any{}
	for key, value := range annotations {
		marked[key] = value
	}

	marked[specAnnotation] = spec

	body := map[string]any{}
	for key, value := range object.body {
		body[key] = value
	}

	withMarks := map[string]any{}
	for key, value := range metadata {
		withMarks[key] = value
	}

	withMarks["annotations"] = marked
	body["metadata"] = withMarks

	for attempt := 0; ; attempt++ {
		code, response, err := client.do(ctx, http.MethodPost, object.collection, "", body)
		if err != nil {
			return "", fmt.Errorf("creating %s: %w", object.path(), err)
		}

		switch {
		case code == http.StatusCreated || code == http.StatusOK:
			return uidOf(response), nil
		case code != http.StatusConflict || attempt > 0:
			return "", fmt.Errorf("creating %s: %d %s", object.path(), code, apiMessage(response))
		}

		// There already: kept if it is the same, else replaced.
		code, response, err = client.do(ctx, http.MethodGet, object.path(), "", nil)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", object.path(), err)
		}

		if code == http.StatusOK {
			var existing struct {
				Metadata struct {
					UID         string            `json:"uid"`
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			}

			if json.Unmarshal(response, &existing) == nil && existing.Metadata.Annotations[specAnnotation] == spec {
				return existing.Metadata.UID, nil
			}
		}

		if err := deleteObject(ctx, client, object.path()); err != nil {
			return "", err
		}
	}
}

// deleteObject deletes an object at once (no grace period: no kubelet is
// there to confirm); one that is gone already is fine.
func deleteObject(ctx context.Context, client *kubeClient, path string) error {
	code, body, err := client.do(ctx, http.MethodDelete, path+"?gracePeriodSeconds=0", "", nil)
	if err != nil {
		return fmt.Errorf("deleting %s: %w", path, err)
	}

	if code != http.StatusOK && code != http.StatusAccepted && code != http.StatusNotFound {
		return fmt.Errorf("deleting %s: %d %s", path, code, apiMessage(body))
	}

	return nil
}

func uidOf(body []byte) string {
	var object struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}

	json.Unmarshal(body, &object) //nolint:errcheck // no UID then

	return object.Metadata.UID
}

// apiMessage is the message of a Kubernetes API error (a Status), else the body.
func apiMessage(body []byte) string {
	var status struct {
		Message string `json:"message"`
	}

	if json.Unmarshal(body, &status) == nil && status.Message != "" {
		return status.Message
	}

	return strings.TrimSpace(string(body))
}

// staticPodStatuses keeps each control plane's StaticPodStatus resources as
// its kubelet's static pods are: present while the kubelet runs and has
// registered, with the mirror pod's status; none otherwise.
func (k *kubeCluster) staticPodStatuses(ctx context.Context, facts []kubeNodeFacts, now time.Time) error {
	st := k.state
	current := map[string]bool{}

	var errs []string

	for _, f := range facts {
		if !f.controlPlane || f.boot == nil {
			continue
		}

		resources := f.boot.resources
		wanted := map[resource.ID]map[string]any{}

		if f.kubeletRuns() && st.registered[f.address] {
			for _, component := range controlPlaneComponents {
				_, status := k.mirrorPod(f, component, now)
				wanted["kube-system/"+component+"-"+f.address] = status
			}
		}

		existing, err := safe.StateListAll[*k8s.StaticPodStatus](ctx, resources)
		if err != nil {
			errs = append(errs, err.Error())

			continue
		}

		for it := existing.Iterator(); it.Next(); {
			id := it.Value().Metadata().ID()
			if _, ok := wanted[id]; ok {
				continue
			}

			if err := resources.Destroy(ctx, it.Value().Metadata()); err != nil && !state.IsNotFoundError(err) {
				errs = append(errs, err.Error())
			}

			delete(st.cosi, f.boot.id+"/"+id)
		}

		for id, status := range wanted {
			key := f.boot.id + "/" + id
			current[key] = true

			if err := writeStaticPodStatus(ctx, resources, id, status, st.cosi[key]); err != nil {
				errs = append(errs, err.Error())

				continue
			}

			st.cosi[key] = digest(status)
		}
	}

	for key := range st.cosi {
		if !current[key] {
			delete(st.cosi, key)
		}
	}

	if len(errs) > 0 {
		return fmt.Errorf("static pod statuses: %s", strings.Join(errs, "; "))
	}

	return nil
}

// writeStaticPodStatus creates or updates a StaticPodStatus whose status
// changed (written is the digest of what was written last, "" if nothing).
func writeStaticPodStatus(ctx context.Context, resources state.State, id string, status map[string]any, written string) error {
	if written == digest(status) {
		return nil
	}

	// As machined keeps it: the pod status converted to plain values.
	data, err := json.Marshal(status)
	if err != nil {
		return err
	}

	var plain map[string]any
	if err := json.Unmarshal(data, &plain); err != nil {
		return err
	}

	podStatus := k8s.NewStaticPodStatus(k8s.NamespaceName, id)

	if _, err := resources.Get(ctx, podStatus.Metadata()); err != nil {
		if !state.IsNotFoundError(err) {
			return err
		}

		podStatus.TypedSpec().PodStatus = plain

		return resources.Create(ctx, podStatus)
	}

	_, err = safe.StateUpdateWithConflicts(ctx, resources, podStatus.Metadata(), func(r *k8s.StaticPodStatus) error {
		r.TypedSpec().PodStatus = plain

		return nil
	})

	return err
}
