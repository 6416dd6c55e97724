// kube-testbed: one multi-call binary for burstlet's real-Kubernetes test bed. It runs etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, metrics-server or CoreDNS, chosen by
// the first argument (or by the name it is invoked as, busybox-style), each with the
// component's own flags: the upstream main's command object runs unchanged.
//
// One binary, not six: the components share most of their code (apimachinery, apiserver,
// client-go, etcd's client, gRPC, prometheus), so one link of ~the largest is all it costs;
// six binaries would link that shared code six times over on a 2-core machine.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A component's main: it reads its flags from os.Args[1:] and returns the process's exit code.
type component func() int

var components = map[string]component{
	"etcd":                    runEtcd,
	"kube-apiserver":          runKubeAPIServer,
	"kube-controller-manager": runKubeControllerManager,
	"kube-scheduler":          runKubeScheduler,
	"metrics-server":          runMetricsServer,
	"coredns":                 runCoreDNS,
}

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if _, ok := components[name]; !ok {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
			usage(os.Stdout)
			os.Exit(0)
		}
		name, args = args[0], args[1:]
	}
	run, ok := components[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "kube-testbed: unknown component %q\n", name)
		usage(os.Stderr)
		os.Exit(2)
	}
	// The component sees exactly what its own binary would: its name, then its flags.
	os.Args = append([]string{name}, args...)
	os.Exit(run())
}

func usage(w *os.File) {
	names := make([]string, 0, len(components))
	for n := range components {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "Usage: kube-testbed <component> [the component's own flags]\nComponents: %s\n", strings.Join(names, ", "))
}
