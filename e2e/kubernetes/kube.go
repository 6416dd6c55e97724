package main

import (
	_ "time/tzdata" // CronJob time zones, as kube-apiserver's and kube-controller-manager's mains

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

// The mains of cmd/kube-apiserver, cmd/kube-controller-manager and cmd/kube-scheduler.

func runKubeAPIServer() int { return cli.Run(apiserver.NewAPIServerCommand()) }

func runKubeControllerManager() int { return cli.Run(controllermanager.NewControllerManagerCommand()) }

func runKubeScheduler() int { return cli.Run(scheduler.NewSchedulerCommand()) }
