package main

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const urn = "urn:pulumi:e2e::vpp-server::random:index/randomId:RandomId::lab-mac"

func props(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatalf("marshal %v: %v", m, err)
	}
	return s
}

func num(n float64) resource.PropertyValue { return resource.NewProperty(n) }
func str(s string) resource.PropertyValue  { return resource.NewProperty(s) }
func keepers(kv map[string]resource.PropertyValue) resource.PropertyValue {
	m := resource.PropertyMap{}
	for k, v := range kv {
		m[resource.PropertyKey(k)] = v
	}
	return resource.NewProperty(m)
}

func TestCheck(t *testing.T) {
	p := &randomProvider{}
	for _, c := range []struct {
		name string
		in   resource.PropertyMap
		want string // the failure's reason; empty: accepted
	}{
		{"byteLength 6", resource.PropertyMap{"byteLength": num(6)}, ""},
		{"secret byteLength 6", resource.PropertyMap{"byteLength": resource.MakeSecret(num(6))}, ""},
		{"unknown byteLength", resource.PropertyMap{"byteLength": resource.MakeComputed(str(""))}, ""},
		{"missing", resource.PropertyMap{}, "missing required property 'byteLength'"},
		{"zero", resource.PropertyMap{"byteLength": num(0)}, "byteLength must be at least 1, got 0"},
		{"fraction", resource.PropertyMap{"byteLength": num(6.5)}, "byteLength must be a whole number, got 6.5"},
		{"string", resource.PropertyMap{"byteLength": str("6")}, `byteLength must be a whole number, got "6"`},
		{"prefix number", resource.PropertyMap{"byteLength": num(6), "prefix": num(1)}, "prefix must be a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: props(t, c.in)})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(r.GetFailures()) > 0 {
				got = r.GetFailures()[0].GetReason()
			}
			if got != c.want {
				t.Errorf("Check(%v): failure %q, want %q", c.in, got, c.want)
			}
		})
	}
	r, err := p.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn:  "urn:pulumi:e2e::vpp-server::random:index/randomPet:RandomPet::x",
		News: props(t, resource.PropertyMap{}),
	})
	if err != nil || len(r.GetFailures()) != 1 || !strings.Contains(r.GetFailures()[0].GetReason(), "RandomId only") {
		t.Errorf("another type must be refused naming what is provided; got %v, %v", r.GetFailures(), err)
	}
}

func TestDiff(t *testing.T) {
	p := &randomProvider{}
	six := resource.PropertyMap{"byteLength": num(6)}
	for _, c := range []struct {
		name     string
		old, new resource.PropertyMap
		replaces []string
	}{
		{"unchanged", six, six, nil},
		{"made secret only", six, resource.PropertyMap{"byteLength": resource.MakeSecret(num(6))}, nil},
		{"byteLength", six, resource.PropertyMap{"byteLength": num(8)}, []string{"byteLength"}},
		{"prefix added", six, resource.PropertyMap{"byteLength": num(6), "prefix": str("lab-")}, []string{"prefix"}},
		{"unknown byteLength", six, resource.PropertyMap{"byteLength": resource.MakeComputed(str(""))}, []string{"byteLength"}},
		{
			"keeper added",
			six,
			resource.PropertyMap{"byteLength": num(6), "keepers": keepers(map[string]resource.PropertyValue{"vlan": str("123")})},
			[]string{"keepers"},
		},
		{
			"keeper changed",
			resource.PropertyMap{"byteLength": num(6), "keepers": keepers(map[string]resource.PropertyValue{"vlan": str("123")})},
			resource.PropertyMap{"byteLength": num(6), "keepers": keepers(map[string]resource.PropertyValue{"vlan": str("124")})},
			[]string{"keepers"},
		},
		{
			"keeper number equal to the old string",
			resource.PropertyMap{"byteLength": num(6), "keepers": keepers(map[string]resource.PropertyValue{"vlan": str("123")})},
			resource.PropertyMap{"byteLength": num(6), "keepers": keepers(map[string]resource.PropertyValue{"vlan": num(123)})},
			nil,
		},
		{
			"keeper removed",
			resource.PropertyMap{"byteLength": num(6), "keepers": keepers(map[string]resource.PropertyValue{"vlan": str("123")})},
			six,
			nil,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
				Urn: urn, OldInputs: props(t, c.old), Olds: props(t, c.old), News: props(t, c.new),
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(r.GetReplaces(), ",") != strings.Join(c.replaces, ",") {
				t.Errorf("Diff %v -> %v: replaces %v, want %v", c.old, c.new, r.GetReplaces(), c.replaces)
			}
			wantChanges := pulumirpc.DiffResponse_DIFF_NONE
			if len(c.replaces) > 0 {
				wantChanges = pulumirpc.DiffResponse_DIFF_SOME
			}
			if r.GetChanges() != wantChanges {
				t.Errorf("Diff %v -> %v: changes %v, want %v", c.old, c.new, r.GetChanges(), wantChanges)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	p := &randomProvider{}
	in := props(t, resource.PropertyMap{"byteLength": num(6)})

	pre, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: in, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := unmarshal(pre.GetProperties())
	for _, k := range computed {
		if !out[k].IsComputed() {
			t.Errorf("preview: %s = %v, want unknown", k, out[k])
		}
	}
	if pre.GetId() != "" {
		t.Errorf("preview: id %q, want none", pre.GetId())
	}

	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		r, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: in})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := unmarshal(r.GetProperties())
		h := out["hex"].StringValue()
		if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(h) {
			t.Fatalf("hex %q: want 12 lowercase hex digits for 6 bytes", h)
		}
		b, err := base64.RawURLEncoding.DecodeString(r.GetId())
		if err != nil || len(b) != 6 {
			t.Fatalf("id %q: want the unpadded base64url of 6 bytes (%v)", r.GetId(), err)
		}
		if out["b64Url"].StringValue() != r.GetId() || out["id"].StringValue() != r.GetId() {
			t.Errorf("b64Url %q and id output %q must equal the id %q", out["b64Url"], out["id"], r.GetId())
		}
		if out["byteLength"].NumberValue() != 6 {
			t.Errorf("byteLength output %v, want the input 6", out["byteLength"])
		}
		seen[h] = true
	}
	if len(seen) < 20 {
		t.Errorf("20 creates gave %d distinct values: not random", len(seen))
	}

	r, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: urn, Properties: props(t, resource.PropertyMap{"byteLength": num(2), "prefix": resource.MakeSecret(str("lab-"))}),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ = unmarshal(r.GetProperties())
	for _, k := range []resource.PropertyKey{"b64Url", "b64Std", "hex", "dec"} {
		if !strings.HasPrefix(out[k].StringValue(), "lab-") {
			t.Errorf("%s = %q: a (secret) prefix must lead every encoding", k, out[k].StringValue())
		}
	}
	if strings.HasPrefix(r.GetId(), "lab-") {
		t.Errorf("id %q must not carry the prefix", r.GetId())
	}
}

func TestReadKeepsStateAndImports(t *testing.T) {
	p := &randomProvider{}
	state := props(t, resource.PropertyMap{"byteLength": num(6), "hex": str("0a0b0c0d0e0f")})
	r, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urn, Id: "CgsMDQ4P", Properties: state, Inputs: state})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := unmarshal(r.GetProperties()); out["hex"].StringValue() != "0a0b0c0d0e0f" || r.GetId() != "CgsMDQ4P" {
		t.Errorf("refresh changed the state: %v, id %q", out, r.GetId())
	}

	r, err = p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urn, Id: "lab-,CgsMDQ4P"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := unmarshal(r.GetProperties())
	in, _ := unmarshal(r.GetInputs())
	if out["hex"].StringValue() != "lab-0a0b0c0d0e0f" || in["byteLength"].NumberValue() != 6 || r.GetId() != "CgsMDQ4P" {
		t.Errorf("import of lab-,CgsMDQ4P: hex %q, byteLength %v, id %q", out["hex"], in["byteLength"], r.GetId())
	}
	if _, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urn, Id: "not base64!"}); err == nil {
		t.Error("import of a malformed id must fail")
	}
}
