// vk-peer: virtual-kubelet v1.14.1's node library (nodeutil) with a provider that "runs" every
// pod at once in memory, so that bench/peer.ts compares burstlet's pod lifecycle with the one a
// user would otherwise pick, on the same kube-apiserver and the same (no) work. Benchmarks only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	dto "github.com/prometheus/client_model/go"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

var errUnsupported = errors.New("not supported by the in-memory peer")

// writeCounter counts the API writes (POST, PUT, PATCH, DELETE) by resource, printed at exit:
// what bench/peer.ts compares with burstlet's own request metrics.
type writeCounter struct {
	next   http.RoundTripper
	mu     sync.Mutex
	counts map[string]int
}

func (w *writeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		w.mu.Lock()
		w.counts[resourceOf(req.URL.Path)]++
		w.mu.Unlock()
	}
	return w.next.RoundTrip(req)
}

// resourceOf names what a path writes: pods, pods/status, events, nodes, nodes/status, leases.
func resourceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		switch parts[i] {
		case "pods", "events", "nodes", "leases":
			if i+2 < len(parts) {
				return parts[i] + "/" + parts[i+2]
			}
			return parts[i]
		}
	}
	return "other"
}

// memProvider keeps pods in a map: created means Running, deleted means gone.
type memProvider struct {
	mu     sync.Mutex
	pods   map[string]*corev1.Pod
	notify func(*corev1.Pod)
	nodeIP string
	next   int
}

func key(ns, name string) string { return ns + "/" + name }

func (p *memProvider) CreatePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := metav1.Now()
	p.next++
	running := pod.DeepCopy()
	running.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    p.nodeIP,
		PodIP:     fmt.Sprintf("198.19.%d.%d", (p.next/250)%250, 1+p.next%250),
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	for _, c := range pod.Spec.Containers {
		running.Status.ContainerStatuses = append(running.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: boolPtr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	p.pods[key(pod.Namespace, pod.Name)] = running
	if p.notify != nil {
		p.notify(running)
	}
	return nil
}

func boolPtr(b bool) *bool { return &b }

func (p *memProvider) UpdatePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.pods[key(pod.Namespace, pod.Name)]; ok {
		updated := pod.DeepCopy()
		updated.Status = old.Status
		p.pods[key(pod.Namespace, pod.Name)] = updated
	}
	return nil
}

// DeletePod ends the pod's containers and tells the controller, which then deletes it from the API.
func (p *memProvider) DeletePod(_ context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key(pod.Namespace, pod.Name)
	if _, ok := p.pods[k]; !ok {
		return nil
	}
	delete(p.pods, k)
	now := metav1.Now()
	gone := pod.DeepCopy()
	gone.Status.Phase = corev1.PodSucceeded
	for i := range gone.Status.ContainerStatuses {
		gone.Status.ContainerStatuses[i].Ready = false
		gone.Status.ContainerStatuses[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", FinishedAt: now}}
	}
	if p.notify != nil {
		p.notify(gone)
	}
	return nil
}

func (p *memProvider) GetPod(_ context.Context, namespace, name string) (*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pod, ok := p.pods[key(namespace, name)]; ok {
		return pod.DeepCopy(), nil
	}
	return nil, nil
}

func (p *memProvider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if pod == nil || err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

func (p *memProvider) GetPods(context.Context) ([]*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*corev1.Pod, 0, len(p.pods))
	for _, pod := range p.pods {
		out = append(out, pod.DeepCopy())
	}
	return out, nil
}

// NotifyPods makes status updates push-based, virtual-kubelet's fastest path.
func (p *memProvider) NotifyPods(_ context.Context, f func(*corev1.Pod)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notify = f
}

func (p *memProvider) GetContainerLogs(context.Context, string, string, string, api.ContainerLogOpts) (io.ReadCloser, error) {
	return nil, errUnsupported
}
func (p *memProvider) RunInContainer(context.Context, string, string, string, []string, api.AttachIO) error {
	return errUnsupported
}
func (p *memProvider) AttachToContainer(context.Context, string, string, string, api.AttachIO) error {
	return errUnsupported
}
func (p *memProvider) GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error) {
	return nil, errUnsupported
}
func (p *memProvider) GetMetricsResource(context.Context) ([]*dto.MetricFamily, error) {
	return nil, errUnsupported
}
func (p *memProvider) PortForward(context.Context, string, string, int32, io.ReadWriteCloser) error {
	return errUnsupported
}

var _ node.PodNotifier = (*memProvider)(nil)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	name := flag.String("nodename", "vk-peer", "node name")
	workers := flag.Int("workers", 10, "pod sync workers (burstlet's --pod-sync-workers default)")
	listen := flag.String("listen", "127.0.0.1:0", "kubelet API address (no TLS given: not served)")
	flag.Parse()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vk-peer:", err)
		os.Exit(2)
	}
	// No client-side rate limit: burstlet has none, and the engines are compared, not client-go's defaults.
	config.QPS = -1
	writes := &writeCounter{counts: map[string]int{}}
	config.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		writes.next = rt
		return writes
	})
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vk-peer:", err)
		os.Exit(2)
	}
	n, err := nodeutil.NewNode(*name, func(cfg nodeutil.ProviderConfig) (nodeutil.Provider, node.NodeProvider, error) {
		cfg.Node.Status.Capacity = corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100000"), corev1.ResourceMemory: resource.MustParse("1Pi"), corev1.ResourcePods: resource.MustParse("100000"),
		}
		cfg.Node.Status.Allocatable = cfg.Node.Status.Capacity
		cfg.Node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
		return &memProvider{pods: map[string]*corev1.Pod{}, nodeIP: "127.0.0.1"}, nil, nil
	}, nodeutil.WithClient(client), func(c *nodeutil.NodeConfig) error {
		c.NumWorkers = *workers
		c.HTTPListenAddr = *listen
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "vk-peer:", err)
		os.Exit(1)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	go func() {
		if err := n.Run(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "vk-peer:", err)
			os.Exit(1)
		}
	}()
	if err := n.WaitReady(ctx, 0); err != nil {
		fmt.Fprintln(os.Stderr, "vk-peer:", err)
		os.Exit(1)
	}
	fmt.Printf("vk-peer %s running\n", *name)
	// SIGUSR1 prints the writes so far (the benchmark's snapshots).
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-usr1:
			writes.mu.Lock()
			counts, _ := json.Marshal(writes.counts)
			writes.mu.Unlock()
			fmt.Printf("writes %s\n", counts)
		}
	}
}
