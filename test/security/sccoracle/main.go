// Command sccoracle answers "would OpenShift's SecurityContextConstraints
// admission let this pod in under that SCC?" with OpenShift's own code.
//
// It is a test oracle for the vpp-server project: the TypeScript tests render
// the project's SCC and Deployment, write them into a cases file, and ask this
// program for a verdict instead of trusting a hand-written re-implementation of
// the SCC rules.
//
// # What runs
//
// The decisions are made by github.com/openshift/apiserver-library-go, the
// library that OpenShift's kube-apiserver links for the
// "security.openshift.io/SecurityContextConstraint" admission plugin
// (pkg/securitycontextconstraints/sccadmission). For each SCC this program
// repeats what that plugin's computeSecurityContext does for one candidate:
//
//  1. the SCC is defaulted as the API server stores it
//     (sccdefaults.SetDefaults_SCC: fsGroup/supplementalGroups RunAsAny when
//     unset, volumes normalised, allowPrivilegeEscalation true when unset);
//  2. a provider is built with sccmatching.CreateProvidersFromConstraints, which
//     resolves the namespace's pre-allocated UID range, MCS level and groups from
//     the namespace annotations (openshift.io/sa.scc.*) exactly as admission does;
//  3. the pod is copied and sccmatching.AssignSecurityContext defaults its pod and
//     container security contexts from the SCC strategies and validates them; any
//     error refuses the pod;
//  4. as the plugin's Validate phase does after Admit, the defaulted pod is run
//     through the same provider once more and must come out unchanged.
//
// Before that, the pod goes through what the API server does ahead of SCC
// admission: v1 defaulting and conversion to the internal API type (the types
// the admission code works on), and the ServiceAccount admission plugin's
// token volume ("kube-api-access-*" projected volume mounted in every init and
// regular container) unless automountServiceAccountToken is false in the pod
// or -no-sa-token is given. OpenShift's kube-apiserver adds an
// "openshift-service-ca.crt" projection to that volume; so does this program.
//
// What is deliberately NOT evaluated: whether the user or service account may
// "use" the SCC (users, groups, RBAC): each SCC is judged ALONE, as if it were
// the only one granted; the priority ordering between SCCs (a pod admitted by
// several SCCs gets the first in priority order; see sccadmission); mutating
// webhooks; Pod Security Admission (a separate plugin with its own labels); and
// the API server's validation of the SCC object itself.
//
// # Input
//
//	sccoracle -input cases.json [-json] [-no-sa-token]
//
// cases.json:
//
//	{
//	  "namespace": {"name": "vpp-server", "annotations": {...}},
//	  "sccs": [ <SecurityContextConstraints, apiVersion security.openshift.io/v1>, ... ],
//	  "cases": [
//	    {"name": "lab pod", "serviceAccount": "vpp-server",
//	     "pod": <v1 Pod | PodTemplateSpec {metadata, spec} | Deployment, ReplicaSet,
//	             StatefulSet, DaemonSet, Job, CronJob or PodTemplate (its pod template is used)>,
//	     "expect": {"<scc name>": "admitted" | "refused", ...}}
//	  ]
//	}
//
// Keys starting with "_" (for example "_source" naming where a fixture came
// from) are removed everywhere before decoding, except inside maps of free-form
// keys (annotations, labels, data, nodeSelector). Unknown fields are an error:
// a misspelt SCC field silently ignored would make the verdict a lie.
//
// Namespace annotations that are missing default to what OpenShift sets on a
// new project: openshift.io/sa.scc.uid-range "1000680000/10000",
// openshift.io/sa.scc.supplemental-groups "1000680000/10000",
// openshift.io/sa.scc.mcs "s0:c26,c15".
//
// # Output and exit status
//
// One line per (case, SCC), cases and SCCs in input order:
//
//	ADMITTED <case> by <scc>
//	REFUSED <case> by <scc>: <first reasons, joined with "; ">
//
// then a MISMATCH line for every expectation not met, then a summary line.
// With -json a single JSON document is printed instead (all reasons, the
// security context admission would have written into an admitted pod).
// Exit status: 0 iff every "expect" entry matched, 1 if any did not, 2 on bad
// input (unreadable file, unknown fields, an expectation naming an SCC that is
// not in "sccs", a verdict other than admitted/refused, ...).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	securityv1 "github.com/openshift/api/security/v1"
	"github.com/openshift/apiserver-library-go/pkg/securitycontextconstraints/sccdefaults"
	"github.com/openshift/apiserver-library-go/pkg/securitycontextconstraints/sccmatching"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	coreapi "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install" // registers core v1 defaulting and conversion in legacyscheme
	sigsjson "sigs.k8s.io/json"
)

// The annotations OpenShift's project controller puts on a new namespace, with
// the values of a typical new project. Used for any that the input lacks.
var defaultNamespaceAnnotations = map[string]string{
	securityv1.UIDRangeAnnotation:           "1000680000/10000",
	securityv1.SupplementalGroupsAnnotation: "1000680000/10000",
	securityv1.MCSAnnotation:                "s0:c26,c15",
}

const (
	verdictAdmitted = "admitted"
	verdictRefused  = "refused"

	// how many reasons the one-line text output shows; -json shows all
	maxReasonsInLine = 5

	exitOK       = 0
	exitMismatch = 1
	exitBadInput = 2
)

// Input file layout. Pod and SCC objects are kept raw here and decoded strictly
// into their Kubernetes/OpenShift types later, so errors can name the case.
type inputFile struct {
	Namespace struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"namespace"`
	SCCs  []json.RawMessage `json:"sccs"`
	Cases []inputCase       `json:"cases"`
}

type inputCase struct {
	Name           string            `json:"name"`
	ServiceAccount string            `json:"serviceAccount"`
	Pod            json.RawMessage   `json:"pod"`
	Expect         map[string]string `json:"expect"`
}

// One verdict: a case evaluated against one SCC.
type result struct {
	Case     string   `json:"case"`
	SCC      string   `json:"scc"`
	Verdict  string   `json:"verdict"`
	Reasons  []string `json:"reasons,omitempty"`
	Expected string   `json:"expected,omitempty"`
	Match    *bool    `json:"match,omitempty"`
	// Mutated: admission had to fill in security context fields (which it
	// does on pod creation; the pod as submitted did not carry them).
	Mutated bool `json:"mutated"`
	// What admission would have written into the pod, for an admitted pod.
	Assigned *assigned `json:"assigned,omitempty"`
}

type assigned struct {
	Annotations    map[string]string                  `json:"annotations,omitempty"`
	Pod            *corev1.PodSecurityContext         `json:"podSecurityContext,omitempty"`
	InitContainers map[string]*corev1.SecurityContext `json:"initContainers,omitempty"`
	Containers     map[string]*corev1.SecurityContext `json:"containers,omitempty"`
}

type summary struct {
	Cases        int  `json:"cases"`
	SCCs         int  `json:"sccs"`
	Admitted     int  `json:"admitted"`
	Refused      int  `json:"refused"`
	Expectations int  `json:"expectations"`
	Matched      int  `json:"matched"`
	Mismatched   int  `json:"mismatched"`
	OK           bool `json:"ok"`
}

type badInput struct{ error }

func badf(format string, args ...any) error {
	return badInput{fmt.Errorf(format, args...)}
}

func main() {
	inputPath := flag.String("input", "", "cases file (JSON); - for standard input")
	asJSON := flag.Bool("json", false, "print the results as one JSON document")
	noSAToken := flag.Bool("no-sa-token", false, "do not add the service account token volume that the ServiceAccount admission plugin adds before SCC admission")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s -input cases.json [-json] [-no-sa-token]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *inputPath == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(exitBadInput)
	}
	os.Exit(run(*inputPath, *asJSON, !*noSAToken, os.Stdout, os.Stderr))
}

func run(inputPath string, asJSON, addSAToken bool, stdout, stderr io.Writer) int {
	results, sum, err := evaluateFile(inputPath, addSAToken)
	if err != nil {
		fmt.Fprintf(stderr, "sccoracle: bad input: %v\n", err)
		return exitBadInput
	}

	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Results []result `json:"results"`
			Summary summary  `json:"summary"`
		}{results, sum}); err != nil {
			fmt.Fprintf(stderr, "sccoracle: %v\n", err)
			return exitBadInput
		}
	} else {
		for _, r := range results {
			if r.Verdict == verdictAdmitted {
				fmt.Fprintf(stdout, "ADMITTED %s by %s\n", r.Case, r.SCC)
			} else {
				fmt.Fprintf(stdout, "REFUSED %s by %s: %s\n", r.Case, r.SCC, joinReasons(r.Reasons))
			}
		}
		for _, r := range results {
			if r.Match != nil && !*r.Match {
				fmt.Fprintf(stdout, "MISMATCH %s by %s: expected %s, got %s\n", r.Case, r.SCC, r.Expected, r.Verdict)
			}
		}
		fmt.Fprintf(stdout, "summary: %d cases x %d SCCs: %d admitted, %d refused; expectations: %d checked, %d matched, %d mismatched\n",
			sum.Cases, sum.SCCs, sum.Admitted, sum.Refused, sum.Expectations, sum.Matched, sum.Mismatched)
	}
	if !sum.OK {
		return exitMismatch
	}
	return exitOK
}

func joinReasons(reasons []string) string {
	if len(reasons) <= maxReasonsInLine {
		return strings.Join(reasons, "; ")
	}
	return fmt.Sprintf("%s; (+%d more)", strings.Join(reasons[:maxReasonsInLine], "; "), len(reasons)-maxReasonsInLine)
}

// evaluateFile reads and checks the whole input first (so bad input is never
// half-evaluated), then evaluates every case against every SCC.
func evaluateFile(path string, addSAToken bool) ([]result, summary, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, summary{}, badInput{err}
	}
	raw, err = stripUnderscoreKeys(raw)
	if err != nil {
		return nil, summary{}, badf("%s: %v", path, err)
	}
	var in inputFile
	if err := strictUnmarshal(raw, &in); err != nil {
		return nil, summary{}, badf("%s: %v", path, err)
	}

	namespace := buildNamespace(in.Namespace.Name, in.Namespace.Annotations)

	if len(in.SCCs) == 0 {
		return nil, summary{}, badf("no SCCs in \"sccs\"")
	}
	sccs := make([]*securityv1.SecurityContextConstraints, 0, len(in.SCCs))
	sccNames := map[string]bool{}
	for i, rawSCC := range in.SCCs {
		scc := &securityv1.SecurityContextConstraints{}
		if err := strictUnmarshal(rawSCC, scc); err != nil {
			return nil, summary{}, badf("sccs[%d]: %v", i, err)
		}
		if scc.APIVersion != "" && scc.APIVersion != securityv1.GroupVersion.String() {
			return nil, summary{}, badf("sccs[%d]: apiVersion %q, want %q", i, scc.APIVersion, securityv1.GroupVersion.String())
		}
		if scc.Kind != "" && scc.Kind != "SecurityContextConstraints" {
			return nil, summary{}, badf("sccs[%d]: kind %q, want SecurityContextConstraints", i, scc.Kind)
		}
		if scc.Name == "" {
			return nil, summary{}, badf("sccs[%d]: metadata.name is empty", i)
		}
		if sccNames[scc.Name] {
			return nil, summary{}, badf("sccs[%d]: duplicate SCC name %q", i, scc.Name)
		}
		sccNames[scc.Name] = true
		// What the API server stores for this object (the
		// DefaultSecurityContextConstraints step), and so what admission sees.
		sccdefaults.SetDefaults_SCC(scc)
		sccs = append(sccs, scc)
	}

	if len(in.Cases) == 0 {
		return nil, summary{}, badf("no cases in \"cases\"")
	}
	pods := make([]*coreapi.Pod, len(in.Cases))
	caseNames := map[string]bool{}
	for i, c := range in.Cases {
		if c.Name == "" {
			return nil, summary{}, badf("cases[%d]: name is empty", i)
		}
		if caseNames[c.Name] {
			return nil, summary{}, badf("cases[%d]: duplicate case name %q", i, c.Name)
		}
		caseNames[c.Name] = true
		for sccName, verdict := range c.Expect {
			if !sccNames[sccName] {
				return nil, summary{}, badf("case %q: expect names SCC %q, which is not in \"sccs\"", c.Name, sccName)
			}
			if verdict != verdictAdmitted && verdict != verdictRefused {
				return nil, summary{}, badf("case %q: expect[%q] = %q, want %q or %q", c.Name, sccName, verdict, verdictAdmitted, verdictRefused)
			}
		}
		pod, err := buildPod(c, namespace.Name, addSAToken)
		if err != nil {
			return nil, summary{}, badf("case %q: %v", c.Name, err)
		}
		pods[i] = pod
	}

	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	if err := indexer.Add(namespace); err != nil {
		return nil, summary{}, err
	}
	namespaceLister := corev1listers.NewNamespaceLister(indexer)

	var results []result
	sum := summary{Cases: len(in.Cases), SCCs: len(sccs), OK: true}
	for i, c := range in.Cases {
		for _, scc := range sccs {
			r := evaluate(c.Name, pods[i], scc, namespace.Name, namespaceLister)
			if r.Verdict == verdictAdmitted {
				sum.Admitted++
			} else {
				sum.Refused++
			}
			if want, ok := c.Expect[scc.Name]; ok {
				match := want == r.Verdict
				r.Expected, r.Match = want, &match
				sum.Expectations++
				if match {
					sum.Matched++
				} else {
					sum.Mismatched++
					sum.OK = false
				}
			}
			results = append(results, r)
		}
	}
	return results, sum, nil
}

// evaluate is sccadmission's computeSecurityContext for a single candidate SCC,
// on pod creation (spec mutation allowed), minus the "may this user use it"
// check, followed by the plugin's Validate-phase re-check of the mutated pod.
func evaluate(caseName string, pod *coreapi.Pod, scc *securityv1.SecurityContextConstraints, namespace string, namespaceLister corev1listers.NamespaceLister) result {
	r := result{Case: caseName, SCC: scc.Name}
	refuse := func(reasons ...string) result {
		r.Verdict, r.Reasons = verdictRefused, reasons
		return r
	}

	// A pod that names its SCC is checked against that one only (admission
	// lists just the required SCC as candidate).
	if required := pod.Annotations[securityv1.RequiredSCCAnnotation]; required != "" && required != scc.Name {
		return refuse(fmt.Sprintf("pod annotation %s requires SCC %q", securityv1.RequiredSCCAnnotation, required))
	}

	// CreateProvidersFromConstraints waits up to 10s for a namespace that lacks
	// its annotations; ours are complete, a short deadline only guards mistakes.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	providers, errs := sccmatching.CreateProvidersFromConstraints(ctx, namespace, []*securityv1.SecurityContextConstraints{scc}, namespaceLister)
	if len(errs) > 0 {
		// Admission fails the whole request in this case, whatever the other SCCs say.
		reasons := make([]string, len(errs))
		for i, err := range errs {
			reasons[i] = "no provider for this SCC: " + err.Error()
		}
		return refuse(reasons...)
	}
	if len(providers) != 1 {
		return refuse(fmt.Sprintf("expected one provider, got %d", len(providers)))
	}
	provider := providers[0]

	// the same field path admission uses, so messages read as the API server's
	fldPath := field.NewPath(fmt.Sprintf("provider %s: ", provider.GetSCCName()))

	// Admit: default the pod's security contexts from the SCC, then validate.
	admitted := pod.DeepCopy()
	if errs := sccmatching.AssignSecurityContext(provider, admitted, fldPath); len(errs) > 0 {
		reasons := make([]string, len(errs))
		for i, e := range errs {
			reasons[i] = e.Error()
		}
		return refuse(reasons...)
	}

	// Validate: the admitted pod must pass again, unchanged.
	again := admitted.DeepCopy()
	if errs := sccmatching.AssignSecurityContext(provider, again, fldPath); len(errs) > 0 || !apiequality.Semantic.DeepEqual(admitted, again) {
		reasons := []string{"failures final validation after mutating admission"}
		for _, e := range errs {
			reasons = append(reasons, e.Error())
		}
		return refuse(reasons...)
	}

	r.Verdict = verdictAdmitted
	r.Mutated = !apiequality.Semantic.DeepEqual(pod, admitted)
	r.Assigned = describeAssigned(admitted)
	return r
}

// describeAssigned converts the admitted pod back to v1 and keeps what SCC
// admission writes: security contexts and annotations.
func describeAssigned(pod *coreapi.Pod) *assigned {
	var v1pod corev1.Pod
	if err := legacyscheme.Scheme.Convert(pod, &v1pod, nil); err != nil {
		return nil
	}
	a := &assigned{Annotations: v1pod.Annotations, Pod: v1pod.Spec.SecurityContext}
	if len(v1pod.Spec.InitContainers) > 0 {
		a.InitContainers = map[string]*corev1.SecurityContext{}
		for _, c := range v1pod.Spec.InitContainers {
			a.InitContainers[c.Name] = c.SecurityContext
		}
	}
	a.Containers = map[string]*corev1.SecurityContext{}
	for _, c := range v1pod.Spec.Containers {
		a.Containers[c.Name] = c.SecurityContext
	}
	return a
}

func buildNamespace(name string, annotations map[string]string) *corev1.Namespace {
	if name == "" {
		name = "vpp-server"
	}
	merged := map[string]string{}
	for k, v := range defaultNamespaceAnnotations {
		merged[k] = v
	}
	for k, v := range annotations {
		merged[k] = v
	}
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: merged}}
}

// buildPod turns a case's pod (or the pod template of a workload) into the
// internal Pod that SCC admission sees on creation.
func buildPod(c inputCase, namespace string, addSAToken bool) (*coreapi.Pod, error) {
	if len(c.Pod) == 0 || string(c.Pod) == "null" {
		return nil, errors.New("pod is missing")
	}
	podJSON, err := podTemplateOf(c.Pod)
	if err != nil {
		return nil, err
	}
	v1pod := &corev1.Pod{}
	if err := strictUnmarshal(podJSON, v1pod); err != nil {
		return nil, fmt.Errorf("pod: %v", err)
	}
	if v1pod.Namespace != "" && v1pod.Namespace != namespace {
		return nil, fmt.Errorf("pod: metadata.namespace %q differs from namespace %q", v1pod.Namespace, namespace)
	}
	v1pod.Namespace = namespace
	if v1pod.Name == "" && v1pod.GenerateName == "" {
		v1pod.Name = c.Name
	}
	switch {
	case c.ServiceAccount != "" && v1pod.Spec.ServiceAccountName != "" && c.ServiceAccount != v1pod.Spec.ServiceAccountName:
		return nil, fmt.Errorf("serviceAccount %q differs from the pod's spec.serviceAccountName %q", c.ServiceAccount, v1pod.Spec.ServiceAccountName)
	case c.ServiceAccount != "":
		v1pod.Spec.ServiceAccountName = c.ServiceAccount
	case v1pod.Spec.ServiceAccountName == "":
		// the ServiceAccount admission plugin's default
		v1pod.Spec.ServiceAccountName = defaultServiceAccountName
	}
	if len(v1pod.Spec.Containers) == 0 {
		return nil, errors.New("pod: spec.containers is empty")
	}

	// Decoding in the API server applies the v1 defaults, then converts to the
	// internal version that admission plugins receive.
	legacyscheme.Scheme.Default(v1pod)
	pod := &coreapi.Pod{}
	if err := legacyscheme.Scheme.Convert(v1pod, pod, nil); err != nil {
		return nil, fmt.Errorf("pod: converting to the internal API: %v", err)
	}

	if addSAToken && (pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken) {
		mountServiceAccountToken(pod)
	}
	return pod, nil
}

// Values of the ServiceAccount admission plugin
// (k8s.io/kubernetes/plugin/pkg/admission/serviceaccount, v1.32.1). They are
// restated here rather than imported because importing that package triples
// the build (about 1,300 packages instead of 430); main_test.go checks that
// they still equal the plugin's.
const (
	defaultServiceAccountName = "default"
	serviceAccountVolumeName  = "kube-api-access"
	defaultAPITokenMountPath  = "/var/run/secrets/kubernetes.io/serviceaccount"
	// k8s.io/kubernetes/pkg/serviceaccount.WarnOnlyBoundTokenExpirationSeconds
	boundTokenExpirationSeconds = 60*60 + 7
)

// tokenVolumeSource is the projected volume the ServiceAccount admission
// plugin adds (its TokenVolumeSource): the bound token, the cluster CA and the
// namespace name.
func tokenVolumeSource() *coreapi.ProjectedVolumeSource {
	defaultMode := corev1.ProjectedVolumeSourceDefaultMode
	expiration := int64(boundTokenExpirationSeconds)
	return &coreapi.ProjectedVolumeSource{
		DefaultMode: &defaultMode,
		Sources: []coreapi.VolumeProjection{
			{ServiceAccountToken: &coreapi.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: expiration}},
			{ConfigMap: &coreapi.ConfigMapProjection{
				LocalObjectReference: coreapi.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []coreapi.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &coreapi.DownwardAPIProjection{
				Items: []coreapi.DownwardAPIVolumeFile{{
					Path:     "namespace",
					FieldRef: &coreapi.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
				}},
			}},
		},
	}
}

// mountServiceAccountToken does what the ServiceAccount admission plugin's
// mountServiceAccountToken does, with OpenShift's service CA projection added
// to the volume as OpenShift's kube-apiserver does. It runs before SCC
// admission, so the SCC must allow the resulting projected volume (or allow
// secret volumes: SCC admission accepts a projected volume made only of these
// sources under "secret"). The volume name is fixed here (the plugin appends 5
// random characters).
func mountServiceAccountToken(pod *coreapi.Pod) {
	tokenVolumeName := ""
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, serviceAccountVolumeName+"-") {
			tokenVolumeName = v.Name
			break
		}
	}
	hasTokenVolume := tokenVolumeName != ""
	if !hasTokenVolume {
		tokenVolumeName = serviceAccountVolumeName + "-oracle"
	}
	mount := coreapi.VolumeMount{Name: tokenVolumeName, ReadOnly: true, MountPath: defaultAPITokenMountPath}
	needsTokenVolume := false
	addTo := func(containers []coreapi.Container) {
		for i := range containers {
			hasMount := false
			for _, m := range containers[i].VolumeMounts {
				if m.MountPath == defaultAPITokenMountPath {
					hasMount = true
					break
				}
			}
			if !hasMount {
				containers[i].VolumeMounts = append(containers[i].VolumeMounts, mount)
				needsTokenVolume = true
			}
		}
	}
	addTo(pod.Spec.InitContainers)
	addTo(pod.Spec.Containers)
	if !hasTokenVolume && needsTokenVolume {
		source := tokenVolumeSource()
		source.Sources = append(source.Sources, coreapi.VolumeProjection{
			ConfigMap: &coreapi.ConfigMapProjection{
				LocalObjectReference: coreapi.LocalObjectReference{Name: "openshift-service-ca.crt"},
				Items:                []coreapi.KeyToPath{{Key: "service-ca.crt", Path: "service-ca.crt"}},
			},
		})
		pod.Spec.Volumes = append(pod.Spec.Volumes, coreapi.Volume{
			Name:         tokenVolumeName,
			VolumeSource: coreapi.VolumeSource{Projected: source},
		})
	}
}

// podTemplateOf returns the pod part of a case's "pod": the object itself for a
// Pod or a PodTemplateSpec, the pod template for a workload.
func podTemplateOf(raw json.RawMessage) (json.RawMessage, error) {
	var head struct {
		Kind string          `json:"kind"`
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("pod: %v", err)
	}
	// path to the pod template inside each kind
	var path []string
	switch head.Kind {
	case "", "Pod":
		return raw, nil
	case "PodTemplate":
		path = []string{"template"}
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController":
		path = []string{"spec", "template"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template"}
	default:
		return nil, fmt.Errorf("pod: kind %q is neither a Pod nor a workload with a pod template", head.Kind)
	}
	cur := raw
	for _, key := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(cur, &m); err != nil {
			return nil, fmt.Errorf("pod: %s: %v", head.Kind, err)
		}
		next, ok := m[key]
		if !ok || string(next) == "null" {
			return nil, fmt.Errorf("pod: %s has no %s", head.Kind, strings.Join(path, "."))
		}
		cur = next
	}
	return cur, nil
}

// strictUnmarshal decodes as the API server does (case-sensitive field names)
// and refuses unknown and duplicate fields.
func strictUnmarshal(data []byte, v any) error {
	strictErrs, err := sigsjson.UnmarshalStrict(data, v)
	if err != nil {
		return err
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// freeFormMaps are object keys whose values are maps of arbitrary user keys,
// where a leading "_" is data and must be kept.
var freeFormMaps = map[string]bool{
	"annotations": true, "labels": true, "data": true, "binaryData": true,
	"nodeSelector": true, "matchLabels": true, "stringData": true,
}

// stripUnderscoreKeys removes every object key starting with "_" (metadata of
// the fixture such as "_source"), keeping free-form maps intact.
func stripUnderscoreKeys(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep integers such as UIDs exact
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	var strip func(v any, freeForm bool) any
	strip = func(v any, freeForm bool) any {
		switch t := v.(type) {
		case map[string]any:
			for k, child := range t {
				if !freeForm && strings.HasPrefix(k, "_") {
					delete(t, k)
					continue
				}
				t[k] = strip(child, !freeForm && freeFormMaps[k])
			}
			return t
		case []any:
			for i := range t {
				t[i] = strip(t[i], false)
			}
			return t
		default:
			return v
		}
	}
	return json.Marshal(strip(doc, false))
}
