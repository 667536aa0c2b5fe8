// Command pulumi-resource-random is a small, self-contained stand-in for the
// Pulumi "random" provider, used only by this project's end-to-end toolchain
// (scripts/tools/build.sh).
//
// Why it exists: the real provider (github.com/pulumi/pulumi-random/provider/v4)
// is a Terraform-bridged provider whose Go module is not served by the Go module
// proxy this project can reach (no version of it is), and it also needs a
// private nested "shim" module. The npm SDK @pulumi/random only needs a plugin
// that speaks the Pulumi resource-provider gRPC protocol and implements the
// resource types the program uses, so this file implements them natively:
//
//	random:index/randomId:RandomId        (byteLength, prefix, keepers -> b64Std, b64Url, hex, dec)
//	random:index/randomBytes:RandomBytes  (length, keepers -> base64, hex; both secret)
//	random:index/randomString:RandomString / random:index/randomPassword:RandomPassword
//	random:index/randomInteger:RandomInteger, random:index/randomUuid:RandomUuid
//
// Semantics follow terraform-provider-random: every input is "ForceNew", so any
// change of an input (including keepers) replaces the resource and regenerates
// the value; otherwise the stored value is kept forever. Any other type is
// rejected with a clear error in Check.
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

const (
	tID       = "random:index/randomId:RandomId"
	tBytes    = "random:index/randomBytes:RandomBytes"
	tString   = "random:index/randomString:RandomString"
	tPassword = "random:index/randomPassword:RandomPassword"
	tInteger  = "random:index/randomInteger:RandomInteger"
	tUUID     = "random:index/randomUuid:RandomUuid"
)

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

var (
	optsIn = plugin.MarshalOptions{
		Label: "random", KeepUnknowns: true, KeepSecrets: true, SkipNulls: true,
	}
	optsOut = plugin.MarshalOptions{
		Label: "random", KeepUnknowns: true, KeepSecrets: true, SkipNulls: true,
	}
)

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, optsIn)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) { return plugin.MarshalProperties(m, optsOut) }

// inputKeys lists the (all ForceNew) inputs of each supported type.
var inputKeys = map[string][]string{
	tID:       {"byteLength", "prefix", "keepers"},
	tBytes:    {"length", "keepers"},
	tString:   {"length", "keepers", "lower", "upper", "numeric", "number", "special", "minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial"},
	tPassword: {"length", "keepers", "lower", "upper", "numeric", "number", "special", "minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial"},
	tInteger:  {"min", "max", "seed", "keepers"},
	tUUID:     {"keepers"},
}

func (p *randomProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *randomProvider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: false}, nil
}

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
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: false}, nil
}

func (p *randomProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func numberInput(m resource.PropertyMap, key string) (float64, bool, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok || v.IsNull() {
		return 0, false, false
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsComputed() || v.IsOutput() {
		return 0, true, true
	}
	if !v.IsNumber() {
		return 0, true, false
	}
	return v.NumberValue(), true, false
}

func (p *randomProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := typeOf(req.GetUrn())
	if _, ok := inputKeys[typ]; !ok {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{
			Reason: fmt.Sprintf("resource type %q is not implemented by the local stand-in random provider "+
				"(scripts/tools/random-provider); supported: RandomId, RandomBytes, RandomString, "+
				"RandomPassword, RandomInteger, RandomUuid", typ),
		}}}, nil
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	need := func(key string, min float64) {
		n, present, unknown := numberInput(news, key)
		switch {
		case unknown:
		case !present:
			failures = append(failures, &pulumirpc.CheckFailure{Property: key, Reason: "missing required property '" + key + "'"})
		case n < min:
			failures = append(failures, &pulumirpc.CheckFailure{Property: key, Reason: fmt.Sprintf("%s must be at least %v", key, min)})
		}
	}
	switch typ {
	case tID:
		need("byteLength", 1)
	case tBytes:
		need("length", 1)
	case tString, tPassword:
		need("length", 1)
	case tInteger:
		need("min", -1e300)
		need("max", -1e300)
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func (p *randomProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ := typeOf(req.GetUrn())
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if req.GetOldInputs() == nil {
		olds, err = unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var replaces []string
	for _, k := range inputKeys[typ] {
		o, n := olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			replaces = append(replaces, k)
		}
	}
	if len(replaces) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	sort.Strings(replaces)
	return &pulumirpc.DiffResponse{
		Changes:  pulumirpc.DiffResponse_DIFF_SOME,
		Replaces: replaces,
		Diffs:    replaces,
	}, nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}

func boolInput(m resource.PropertyMap, key string, def bool) bool {
	v, ok := m[resource.PropertyKey(key)]
	if !ok || !v.IsBool() {
		return def
	}
	return v.BoolValue()
}

func intInput(m resource.PropertyMap, key string, def int) int {
	if n, ok, unknown := numberInput(m, key); ok && !unknown {
		return int(n)
	}
	return def
}

func randomChars(m resource.PropertyMap) (string, error) {
	const lower, upper, digits = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
	special := "!@#$%&*()-_=+[]{}<>:?"
	if v, ok := m["overrideSpecial"]; ok && v.IsString() {
		special = v.StringValue()
	}
	length := intInput(m, "length", 16)
	useNumeric := boolInput(m, "numeric", boolInput(m, "number", true))
	sets := []struct {
		chars string
		use   bool
		min   int
	}{
		{lower, boolInput(m, "lower", true), intInput(m, "minLower", 0)},
		{upper, boolInput(m, "upper", true), intInput(m, "minUpper", 0)},
		{digits, useNumeric, intInput(m, "minNumeric", 0)},
		{special, boolInput(m, "special", true), intInput(m, "minSpecial", 0)},
	}
	pick := func(chars string) (byte, error) {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return 0, err
		}
		return chars[i.Int64()], nil
	}
	var out []byte
	all := ""
	for _, s := range sets {
		if !s.use || s.chars == "" {
			continue
		}
		all += s.chars
		for i := 0; i < s.min; i++ {
			c, err := pick(s.chars)
			if err != nil {
				return "", err
			}
			out = append(out, c)
		}
	}
	if all == "" {
		return "", fmt.Errorf("no character set enabled")
	}
	for len(out) < length {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, c)
	}
	// Shuffle so the minimum-count characters are not all at the front.
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

// generate computes the outputs (inputs + generated values) and the ID.
func generate(typ string, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := in.Copy()
	switch typ {
	case tID:
		n := intInput(in, "byteLength", 0)
		b, err := randomBytes(n)
		if err != nil {
			return "", nil, err
		}
		prefix := ""
		if v, ok := in["prefix"]; ok && v.IsString() {
			prefix = v.StringValue()
		}
		id := base64.RawURLEncoding.EncodeToString(b)
		out["b64Url"] = resource.NewProperty(prefix + id)
		out["b64Std"] = resource.NewProperty(prefix + base64.StdEncoding.EncodeToString(b))
		out["hex"] = resource.NewProperty(prefix + hex.EncodeToString(b))
		out["dec"] = resource.NewProperty(prefix + new(big.Int).SetBytes(b).String())
		return id, out, nil
	case tBytes:
		n := intInput(in, "length", 0)
		b, err := randomBytes(n)
		if err != nil {
			return "", nil, err
		}
		b64 := base64.StdEncoding.EncodeToString(b)
		out["base64"] = resource.MakeSecret(resource.NewProperty(b64))
		out["hex"] = resource.MakeSecret(resource.NewProperty(hex.EncodeToString(b)))
		return "none", out, nil
	case tString, tPassword:
		s, err := randomChars(in)
		if err != nil {
			return "", nil, err
		}
		if typ == tPassword {
			out["result"] = resource.MakeSecret(resource.NewProperty(s))
			return "none", out, nil
		}
		out["result"] = resource.NewProperty(s)
		return s, out, nil
	case tInteger:
		lo, hi := intInput(in, "min", 0), intInput(in, "max", 0)
		if hi < lo {
			return "", nil, fmt.Errorf("max (%d) must be >= min (%d)", hi, lo)
		}
		r, err := rand.Int(rand.Reader, big.NewInt(int64(hi-lo+1)))
		if err != nil {
			return "", nil, err
		}
		v := lo + int(r.Int64())
		out["result"] = resource.NewProperty(float64(v))
		return fmt.Sprint(v), out, nil
	case tUUID:
		b, err := randomBytes(16)
		if err != nil {
			return "", nil, err
		}
		b[6] = (b[6] & 0x0f) | 0x40
		b[8] = (b[8] & 0x3f) | 0x80
		h := hex.EncodeToString(b)
		u := strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
		out["result"] = resource.NewProperty(u)
		return u, out, nil
	}
	return "", nil, fmt.Errorf("unsupported resource type %q", typ)
}

func (p *randomProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := typeOf(req.GetUrn())
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		// SupportsPreview is false, so the engine should not call this; be safe anyway.
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	id, out, err := generate(typ, in)
	if err != nil {
		return nil, err
	}
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Read returns the stored state unchanged: nothing exists outside the state.
func (p *randomProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if req.GetProperties() == nil || len(req.GetProperties().GetFields()) == 0 {
		return nil, fmt.Errorf("import of %s is not supported by the local stand-in random provider", typeOf(req.GetUrn()))
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// Update is only reached when Diff reported no replacement, i.e. nothing changed.
func (p *randomProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for k, v := range news {
		olds[k] = v
	}
	props, err := marshal(olds)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *randomProvider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
