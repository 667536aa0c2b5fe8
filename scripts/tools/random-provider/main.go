// Command pulumi-resource-random is a small stand-in for the Pulumi "random"
// provider, used only by this project's end-to-end toolchain (scripts/tools/build.sh).
//
// Why it exists: the real provider (github.com/pulumi/pulumi-random/provider/v4) is
// a Terraform-bridged provider whose Go module the Go module proxy this project can
// reach serves at no version, and which also needs an unpublished nested "shim"
// module. The npm SDK @pulumi/random only needs a plugin that speaks the Pulumi
// resource-provider gRPC protocol for the resource types a program uses, and this
// project uses one: RandomId. So this file implements exactly that:
//
//	random:index/randomId:RandomId  (byteLength, prefix, keepers -> id, b64Std, b64Url, hex, dec)
//
// with terraform-provider-random's semantics (internal/provider/resource_id.go):
// the id is the unpadded base64url of the bytes, the four encodings carry the
// prefix; byteLength and prefix changes replace the resource, keepers replace it
// when a key gets a new non-null value; otherwise the value is kept forever;
// Read keeps the state; import takes "<id>" or "<prefix>,<id>". Other types are
// refused in Check with a message naming this stand-in.
//
// The binary reports the version it is built with (-X main.version=...), which
// build.sh sets to the @pulumi/random version pinned in package-lock.json so the
// engine finds it in the plugin cache.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var version = "4.21.2"

const tID = "random:index/randomId:RandomId"

// The outputs RandomId computes.
var computed = []resource.PropertyKey{"id", "b64Std", "b64Url", "hex", "dec"}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(version)
		return
	}
	err := provider.Main("random", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &randomProvider{}, nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}

type randomProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func typeOf(urn string) string { return resource.URN(urn).Type().String() }

var marshalOpts = plugin.MarshalOptions{Label: "random", KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, marshalOpts)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOpts)
}

// plain is v without secret wrappers (the real provider diffs values, not their secretness).
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func (p *randomProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *randomProvider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: false}, nil
}

// GetSchema returns a minimal schema: the engine does not need one for preview, up,
// refresh or destroy (code generation and `pulumi import` would).
func (p *randomProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, _ := json.Marshal(map[string]any{"name": "random", "version": version})
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

func (p *randomProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *randomProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *randomProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *randomProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Check validates RandomId's inputs: byteLength a whole number of at least 1, prefix a
// string, keepers a map.
func (p *randomProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if typ := typeOf(req.GetUrn()); typ != tID {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{
			Reason: fmt.Sprintf("resource type %q is not supported by the local stand-in random provider "+
				"(scripts/tools/random-provider): it provides RandomId only, the one type this project uses", typ),
		}}}, nil
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	fail := func(key, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: key, Reason: reason})
	}
	switch n, ok := news["byteLength"]; {
	case !ok || n.IsNull():
		fail("byteLength", "missing required property 'byteLength'")
	case plain(n).ContainsUnknowns():
	case !plain(n).IsNumber() || plain(n).NumberValue() != math.Trunc(plain(n).NumberValue()):
		fail("byteLength", fmt.Sprintf("byteLength must be a whole number, got %s", describe(plain(n))))
	case plain(n).NumberValue() < 1:
		fail("byteLength", fmt.Sprintf("byteLength must be at least 1, got %v", plain(n).NumberValue()))
	}
	if v, ok := news["prefix"]; ok && !v.IsNull() && !plain(v).ContainsUnknowns() && !plain(v).IsString() {
		fail("prefix", "prefix must be a string")
	}
	if v, ok := news["keepers"]; ok && !v.IsNull() && !plain(v).ContainsUnknowns() && !plain(v).IsObject() {
		fail("keepers", "keepers must be a map of strings")
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// describe is v as a user wrote it: a number, or a quoted string.
func describe(v resource.PropertyValue) string {
	switch {
	case v.IsNumber():
		return fmt.Sprint(v.NumberValue())
	case v.IsString():
		return fmt.Sprintf("%q", v.StringValue())
	}
	return v.TypeString()
}

// keeperString is a keeper's value as Terraform sees it (a map of strings).
func keeperString(v resource.PropertyValue) string {
	v = plain(v)
	switch {
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return fmt.Sprint(v.NumberValue())
	case v.IsBool():
		return fmt.Sprint(v.BoolValue())
	}
	return v.String()
}

// Diff: byteLength or prefix changed, or a keeper got a new non-null value, replaces.
func (p *randomProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var replaces []string
	for _, k := range []resource.PropertyKey{"byteLength", "prefix"} {
		o, n := plain(olds[k]), plain(news[k])
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			replaces = append(replaces, string(k))
		}
	}
	if n := plain(news["keepers"]); n.ContainsUnknowns() {
		replaces = append(replaces, "keepers")
	} else if n.IsObject() {
		o := resource.PropertyMap{}
		if old := plain(olds["keepers"]); old.IsObject() {
			o = old.ObjectValue()
		}
		for k, v := range n.ObjectValue() {
			if plain(v).IsNull() {
				continue
			}
			if ov, had := o[k]; !had || plain(ov).IsNull() || keeperString(ov) != keeperString(v) {
				replaces = append(replaces, "keepers")
				break
			}
		}
	}
	if len(replaces) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	sort.Strings(replaces)
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: replaces, Diffs: replaces}, nil
}

// outputs are the inputs plus the id and its encodings, the prefix on each encoding.
func outputs(in resource.PropertyMap, prefix string, b []byte) (string, resource.PropertyMap) {
	id := base64.RawURLEncoding.EncodeToString(b)
	out := in.Copy()
	out["id"] = resource.NewProperty(id)
	out["b64Url"] = resource.NewProperty(prefix + id)
	out["b64Std"] = resource.NewProperty(prefix + base64.StdEncoding.EncodeToString(b))
	out["hex"] = resource.NewProperty(prefix + hex.EncodeToString(b))
	out["dec"] = resource.NewProperty(prefix + new(big.Int).SetBytes(b).String())
	return id, out
}

func prefixOf(in resource.PropertyMap) string {
	if v := plain(in["prefix"]); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func (p *randomProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		// The value is chosen at create time: unknown in a preview.
		out := in.Copy()
		for _, k := range computed {
			out[k] = resource.MakeComputed(resource.NewProperty(""))
		}
		props, err := marshal(out)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	b := make([]byte, int(plain(in["byteLength"]).NumberValue()))
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	id, out := outputs(in, prefixOf(in), b)
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Read keeps the stored state (nothing exists outside it); with only an ID it imports:
// "<id>" or "<prefix>,<id>", the id being the unpadded base64url of the bytes.
func (p *randomProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if req.GetProperties() != nil && len(req.GetProperties().GetFields()) > 0 {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	prefix, id := "", req.GetId()
	if i := strings.LastIndex(id, ","); i >= 0 {
		prefix, id = id[:i], id[i+1:]
	}
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("cannot import RandomId %q: expected <id> or <prefix>,<id> with id the unpadded base64url of at least one byte", req.GetId())
	}
	in := resource.PropertyMap{"byteLength": resource.NewProperty(float64(len(b)))}
	if prefix != "" {
		in["prefix"] = resource.NewProperty(prefix)
	}
	_, out := outputs(in, prefix, b)
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	inputs, err := marshal(in)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: id, Properties: props, Inputs: inputs}, nil
}

func (p *randomProvider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
