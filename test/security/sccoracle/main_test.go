package main

// These tests are not needed to build or use the oracle (the TypeScript tests
// drive the binary). They guard two things a Go developer may change:
// the values restated from the ServiceAccount admission plugin, and the
// self-test fixture's verdicts. `go test` compiles about 1,300 packages (the
// plugin's dependencies): expect several minutes on a cold cache.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	saadmission "k8s.io/kubernetes/plugin/pkg/admission/serviceaccount"
)

func TestServiceAccountValuesMatchThePlugin(t *testing.T) {
	if defaultServiceAccountName != saadmission.DefaultServiceAccountName ||
		serviceAccountVolumeName != saadmission.ServiceAccountVolumeName ||
		defaultAPITokenMountPath != saadmission.DefaultAPITokenMountPath {
		t.Fatalf("restated constants differ from the ServiceAccount admission plugin's")
	}
	if got, want := tokenVolumeSource(), saadmission.TokenVolumeSource(); !apiequality.Semantic.DeepEqual(got, want) {
		t.Fatalf("tokenVolumeSource() = %+v, the plugin's TokenVolumeSource() = %+v", got, want)
	}
}

func TestSelfTestFixture(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(filepath.Join("..", "fixtures", "oracle-selftest.json"), false, true, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "ADMITTED lab pod by vpp-server-selftest\n") {
		t.Fatalf("lab pod not admitted by vpp-server-selftest:\n%s", stdout.String())
	}
}

func TestBadInputAndMismatch(t *testing.T) {
	for name, tc := range map[string]struct {
		doc  string
		code int
	}{
		"unknown SCC field": {`{"sccs":[{"metadata":{"name":"a"},"allowedCapabilites":[]}],"cases":[{"name":"c","pod":{"spec":{"containers":[{"name":"x","image":"x"}]}}}]}`, exitBadInput},
		"unknown verdict":   {`{"sccs":[{"metadata":{"name":"a"},"runAsUser":{"type":"RunAsAny"},"seLinuxContext":{"type":"RunAsAny"}}],"cases":[{"name":"c","pod":{"spec":{"containers":[{"name":"x","image":"x"}]}},"expect":{"a":"maybe"}}]}`, exitBadInput},
		"mismatch":          {`{"sccs":[{"metadata":{"name":"a"},"runAsUser":{"type":"RunAsAny"},"seLinuxContext":{"type":"RunAsAny"}}],"cases":[{"name":"c","pod":{"spec":{"containers":[{"name":"x","image":"x"}]}},"expect":{"a":"refused"}}]}`, exitMismatch},
		"underscore keys":   {`{"_c":1,"sccs":[{"_source":"x","metadata":{"name":"a"},"runAsUser":{"type":"RunAsAny"},"seLinuxContext":{"type":"RunAsAny"}}],"cases":[{"name":"c","pod":{"spec":{"containers":[{"name":"x","image":"x"}]}},"expect":{"a":"admitted"}}]}`, exitOK},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cases.json")
			if err := os.WriteFile(path, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run(path, false, true, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
		})
	}
}
