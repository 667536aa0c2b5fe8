// Command pulumi-language-nodejs is a small stand-in for Pulumi's Node.js
// language host, used only by this project's end-to-end toolchain
// (scripts/tools/build.sh).
//
// Why it exists: Pulumi's own host is the Go module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which has
// no tags and which the Go module proxy this project can reach does not serve
// at any version. The last host that was part of github.com/pulumi/pulumi/sdk/v3
// (v3.68.0) is served but is too old: it cannot run policy packs (RunPlugin) and
// ignores the runtime options in Pulumi.yaml.
//
// A language host only has to start Node.js with the scripts that the
// @pulumi/pulumi npm package ships (cmd/run, cmd/run-policy-pack,
// cmd/run-plugin), so this file does exactly that:
//
//   - Run:         node [nodeargs] @pulumi/pulumi/cmd/run --monitor ... <entry point>
//   - RunPlugin:   policy packs (node .../cmd/run-policy-pack <engine> <dir>) and
//     Node.js provider plugins (node .../cmd/run-plugin <dir> <args>)
//   - GetRequiredPlugins: the packages in node_modules whose package.json says
//     {"pulumi": {"resource": true}}
//   - runtime options from Pulumi.yaml / PulumiPolicy.yaml: typescript (default
//     true; must be a boolean), nodeargs (split as a shell would), tsconfig;
//     packagemanager is accepted and ignored
//   - Cancel (and SIGINT): the running program gets SIGINT, then SIGKILL 5 s later
//   - policy packs get the stack's organization, project, stack, dry-run flag and
//     config, through the SDK's PolicyProxy (sdk/v3/policy_proxy.go)
//   - InstallDependencies: `npm install` in the directory (the project runs
//     `npm ci` itself; pulumi calls this only for `pulumi install`/`new`)
//
// Where the engine can tell, it behaves as Pulumi's own host of the same release
// does (read, not copied: the arguments and environment of cmd/run, config keys as
// <namespace>:config:<name>, the exit code 32 "bail", error texts); what it leaves
// out is listed in scripts/tools/README.md.
//
// It uses `node` from PATH (never downloads one). The version it reports is
// set by build.sh (-X main.version=...) to the Pulumi CLI version it is built
// with, because it is built against that version's Go SDK (protocol).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var version = "0.0.0-dev"

// Exit code with which @pulumi/pulumi's scripts say "the user already got an actionable message".
const exitAfterUserActionableMessage = 32

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint (ignored)")
	// Older CLIs passed the runtime options as flags; accept them (they are used
	// when a request carries no options of its own).
	typescript := flag.Bool("typescript", true, "Use ts-node at runtime to support TypeScript source natively")
	flag.String("root", "", "Project root path (unused)")
	tsconfig := flag.String("tsconfig", "", "Path to tsconfig.json to use")
	nodeargs := flag.String("nodeargs", "", "Arguments for the Node process")
	flag.String("packagemanager", "", "Package manager (unused)")
	showVersion := flag.Bool("version", false, "Print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	logging.InitLogging(false, 0, false)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	// SIGINT (Ctrl-C reaches the whole process group) stops the server and the program.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelChannel)
	}()

	// The Cancel RPC interrupts programs without stopping the server; SIGINT does both.
	runCtx, runCancel := context.WithCancel(ctx)
	defer runCancel()
	host := &nodeHost{
		engineAddress: engineAddress,
		tracing:       tracing,
		defaults:      runtimeOptions{typescript: *typescript, tsconfig: *tsconfig, nodeargs: *nodeargs},
		cancelCtx:     runCtx,
		cancelFunc:    runCancel,
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   string
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
	defaults      runtimeOptions
	// cancelCtx ends on the Cancel RPC or SIGINT: running programs are then interrupted.
	cancelCtx  context.Context
	cancelFunc context.CancelFunc
}

// options merges the runtime options of a ProgramInfo over the defaults, refusing
// values of the wrong type as Pulumi's host does.
func (h *nodeHost) options(info *pulumirpc.ProgramInfo) (runtimeOptions, error) {
	o := h.defaults
	if info == nil || info.GetOptions() == nil {
		return o, nil
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return o, errors.New("typescript option must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		str, isString := v.(string)
		if !isString {
			return o, errors.New("tsconfigpath option must be a string")
		}
		o.tsconfig = str
	}
	if v, ok := m["nodeargs"]; ok {
		str, isString := v.(string)
		if !isString {
			return o, errors.New("nodeargs option must be a string")
		}
		o.nodeargs = str
	}
	return o, nil
}

// command is node with args, interrupted (SIGINT, then SIGKILL after 5 s) when the
// host is cancelled or ctx ends.
func (h *nodeHost) command(ctx context.Context, node string, args []string) (*exec.Cmd, context.CancelFunc) {
	cmdCtx, cancel := context.WithCancel(h.cancelCtx)
	stop := context.AfterFunc(ctx, cancel)
	cmd := exec.CommandContext(cmdCtx, node, args...) //nolint:gosec // running the user's program is the point
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd, func() { stop(); cancel() }
}

func (o runtimeOptions) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return env
}

// nodeArgs splits nodeargs as a shell would.
func (o runtimeOptions) nodeArgs() ([]string, error) { return shlex.Split(o.nodeargs) }

func nodeBinary() (string, error) {
	p, err := exec.LookPath("node")
	if err != nil {
		return "", errors.New("could not find node on $PATH (put Node.js 22 first, e.g. the project's node_modules/.bin)")
	}
	return p, nil
}

// resolveModule finds an @pulumi/pulumi script the way Node.js would from dir.
func resolveModule(node, dir, module string) (string, error) {
	cmd := exec.Command(node, "-e", fmt.Sprintf("console.log(require.resolve(%q))", module))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s from %s; has `npm ci` been run? (%w)", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *nodeHost) Handshake(context.Context, *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *nodeHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// Cancel interrupts the running program (the engine calls it on Ctrl-C).
func (h *nodeHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelFunc()
	return &emptypb.Empty{}, nil
}

type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	DevDeps      map[string]string `json:"devDependencies"`
	Pulumi       struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// nodeModulesDir is the nearest node_modules at or above dir.
func nodeModulesDir(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "node_modules")); err == nil && st.IsDir() {
			return filepath.Join(d, "node_modules")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// packagesIn lists the package.json paths of the top-level packages of a node_modules dir.
func packagesIn(nm string) []string {
	var out []string
	entries, _ := os.ReadDir(nm)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if strings.HasPrefix(name, "@") {
			scoped, _ := os.ReadDir(filepath.Join(nm, name))
			for _, s := range scoped {
				out = append(out, filepath.Join(nm, name, s.Name(), "package.json"))
			}
			continue
		}
		out = append(out, filepath.Join(nm, name, "package.json"))
	}
	return out
}

func (h *nodeHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	nm := nodeModulesDir(dir)
	if nm == "" {
		return &pulumirpc.GetRequiredPluginsResponse{}, nil
	}
	seen := map[string]bool{}
	var plugins []*pulumirpc.PluginDependency
	for _, pj := range packagesIn(nm) {
		p, err := readPackageJSON(pj)
		if err != nil || !p.Pulumi.Resource {
			continue
		}
		name := p.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(p.Name, "@pulumi/"), "@")
		}
		v := p.Pulumi.Version
		if v == "" {
			v = p.Version
		}
		if v != "" && !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		if seen[name+v] {
			continue
		}
		seen[name+v] = true
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: v, Server: p.Pulumi.Server})
	}
	sort.Slice(plugins, func(i, j int) bool { return plugins[i].Name < plugins[j].Name })
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = "@pulumi/pulumi/cmd/run"
	}
	runScript, err := resolveModule(node, programDir, runPath)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	opts, err := h.options(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeArgs, err := opts.nodeArgs()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append(nodeArgs, runScript)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	program := info.GetEntryPoint()
	if program == "" {
		program = req.GetProgram()
	}
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	configJSON, err := configEnv(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("failed to serialize configuration: %v", err)}, nil
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+configJSON, "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	env = append(env, opts.env()...)

	logging.V(5).Infof("langhost: launching %s %s", node, strings.Join(args, " "))
	cmd, done := h.command(ctx, node, args)
	defer done()
	cmd.Dir = programDir
	// Not os.Stdout itself: Node.js may switch a file descriptor it inherits to non-blocking mode.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Env = env
	runErr := cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if runErr == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		switch code := exitErr.ExitCode(); code {
		case exitAfterUserActionableMessage:
			return &pulumirpc.RunResponse{Bail: true}, nil
		default:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", runErr)}, nil
}

// configEnv is PULUMI_CONFIG: keys as <namespace>:config:<name>, the form every
// @pulumi/pulumi release reads (newer ones read <namespace>:<name> too).
func configEnv(m map[string]string) (string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// RunPlugin runs a policy pack (kind "analyzer") or a Node.js plugin.
func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	node, err := nodeBinary()
	if err != nil {
		return err
	}
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	opts, err := h.options(info)
	if err != nil {
		return err
	}
	nodeArgs, err := opts.nodeArgs()
	if err != nil {
		return err
	}
	// The engine passes the whole environment in req.Env.
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	env = append(env, opts.env()...)
	analyzer := req.GetKind() == "analyzer"

	module := "@pulumi/pulumi/cmd/run-plugin"
	if analyzer {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	} else if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		module = p
	}
	script, err := resolveModule(node, dir, module)
	if err != nil {
		return err
	}
	// As Pulumi's host: nodeargs go to the script; a policy pack gets its directory last
	// (run-policy-pack <engine> <dir>), a plugin first.
	args := append([]string{script}, nodeArgs...)
	if analyzer {
		args = append(append(args, req.GetArgs()...), dir)
	} else {
		args = append(append(args, dir), req.GetArgs()...)
	}

	// A policy pack learns the stack (organization, project, stack, dry run, config) from
	// environment variables; the engine sends them in ConfigureStack, which the SDK's proxy
	// receives before the pack starts and forwards to it once it listens.
	var proxy *sdk.PolicyProxy
	if analyzer {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if stack != nil {
			setIf := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			setIf("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
			setIf("PULUMI_NODEJS_PROJECT", stack.GetProject())
			setIf("PULUMI_NODEJS_STACK", stack.GetStack())
			setIf("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
			if stack.GetConfig() != nil {
				configJSON, err := json.Marshal(stack.GetConfig())
				if err != nil {
					return fmt.Errorf("could not marshal stack configuration: %w", err)
				}
				setIf("PULUMI_CONFIG", string(configJSON))
			}
		}
	}

	cmd, done := h.command(ctx, node, args)
	defer done()
	// Policy packs have always run in their own directory.
	cmd.Dir = dir
	if !analyzer && req.GetPwd() != "" {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	runErr := func() error {
		if err := cmd.Start(); err != nil {
			return err
		}
		if proxy != nil {
			if err := proxy.Attach(ctx, cmd); err != nil {
				return fmt.Errorf("could not attach policy pack proxy: %w", err)
			}
			return nil
		}
		return cmd.Wait()
	}()
	if runErr != nil {
		var exitErr *exec.ExitError
		if errors.As(runErr, &exitErr) {
			return fmt.Errorf("Program exited with non-zero exit code: %d", exitErr.ExitCode()) //nolint:staticcheck // Pulumi's wording
		}
		return fmt.Errorf("Problem executing plugin program (could not run language executor): %w", runErr) //nolint:staticcheck
	}
	return closer.Close()
}

func (h *nodeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory()
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		fmt.Fprintf(stdout, "no package.json in %s: nothing to install\n", dir)
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("could not find npm on $PATH")
	}
	args := []string{"install", "--no-audit", "--no-fund"}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
		args = []string{"ci", "--no-audit", "--no-fund"}
	}
	cmd := exec.Command(npm, args...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s in %s: %w", args[0], dir, err)
	}
	return nil
}

func (h *nodeHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

func (h *nodeHost) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := range p.Dependencies {
		names[n] = true
	}
	if req.GetTransitiveDependencies() {
		for n := range p.DevDeps {
			names[n] = true
		}
	}
	nm := nodeModulesDir(dir)
	var deps []*pulumirpc.DependencyInfo
	for n := range names {
		v := p.Dependencies[n]
		if v == "" {
			v = p.DevDeps[n]
		}
		if nm != "" {
			if installed, err := readPackageJSON(filepath.Join(nm, n, "package.json")); err == nil && installed.Version != "" {
				v = installed.Version
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
