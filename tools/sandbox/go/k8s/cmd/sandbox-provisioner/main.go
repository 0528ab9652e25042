// Command sandbox-provisioner is the sandbox's external volume provisioner: for every
// PersistentVolumeClaim of its StorageClass that has no volume yet, it creates a hostPath
// PersistentVolume under a local folder, pre-bound to the claim (spec.claimRef). The binding itself
// is done by kube-controller-manager's persistent-volume controller, as in a real cluster. When a
// claim is deleted and its volume is Released with reclaim policy Delete, it removes the folder and
// the volume.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

const annProvisionedBy = "pv.kubernetes.io/provisioned-by"

type provisioner struct {
	client  kubernetes.Interface
	class   string
	name    string // the StorageClass's provisioner
	reclaim corev1.PersistentVolumeReclaimPolicy
	dir     string
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of an identity that may manage PVs and read PVCs and StorageClasses")
	class := flag.String("storage-class", "neuropod-workspace", "StorageClass whose claims are provisioned")
	dir := flag.String("dir", "", "folder under which each volume gets its own hostPath folder")
	resync := flag.Duration("resync", 10*time.Second, "how often every claim and volume is looked at again")
	flag.Parse()
	if *kubeconfig == "" || *dir == "" {
		log.Fatal("--kubeconfig and --dir are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	cfg.UserAgent = "neuropod-sandbox-provisioner"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatalf("client: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	p := &provisioner{client: client, class: *class, dir: *dir}
	// The provisioner name and reclaim policy are the StorageClass's; wait for the class to exist.
	for p.name == "" {
		sc, err := client.StorageV1().StorageClasses().Get(ctx, *class, metav1.GetOptions{})
		switch {
		case err == nil:
			p.name = sc.Provisioner
			p.reclaim = corev1.PersistentVolumeReclaimDelete
			if sc.ReclaimPolicy != nil {
				p.reclaim = *sc.ReclaimPolicy
			}
		case ctx.Err() != nil:
			return
		default:
			log.Printf("waiting for StorageClass %s: %v", *class, err)
			time.Sleep(time.Second)
		}
	}
	log.Printf("provisioning claims of StorageClass %s (%s, reclaim %s) under %s", p.class, p.name, p.reclaim, p.dir)

	factory := informers.NewSharedInformerFactory(client, *resync)
	pvcs := factory.Core().V1().PersistentVolumeClaims().Informer()
	pvs := factory.Core().V1().PersistentVolumes().Informer()
	_, _ = pvcs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { p.claim(ctx, o) },
		UpdateFunc: func(_, o any) { p.claim(ctx, o) },
	})
	_, _ = pvs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { p.volume(ctx, o) },
		UpdateFunc: func(_, o any) { p.volume(ctx, o) },
	})
	factory.Start(ctx.Done())
	<-ctx.Done()
	factory.Shutdown()
}

func (p *provisioner) claim(ctx context.Context, o any) {
	pvc, ok := o.(*corev1.PersistentVolumeClaim)
	if !ok || pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != p.class ||
		pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil || pvc.Status.Phase != corev1.ClaimPending {
		return
	}
	size, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		log.Printf("claim %s/%s requests no storage; skipped", pvc.Namespace, pvc.Name)
		return
	}
	name := "pvc-" + string(pvc.UID)
	path := filepath.Join(p.dir, name)
	if err := os.MkdirAll(path, 0o777); err != nil {
		log.Printf("claim %s/%s: %v", pvc.Namespace, pvc.Name, err)
		return
	}
	hostPathType := corev1.HostPathDirectoryOrCreate
	volumeMode := corev1.PersistentVolumeFilesystem
	if pvc.Spec.VolumeMode != nil {
		volumeMode = *pvc.Spec.VolumeMode
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{annProvisionedBy: p.name},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: p.reclaim,
			StorageClassName:              p.class,
			VolumeMode:                    &volumeMode,
			ClaimRef: &corev1.ObjectReference{
				APIVersion: "v1",
				Kind:       "PersistentVolumeClaim",
				Namespace:  pvc.Namespace,
				Name:       pvc.Name,
				UID:        pvc.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &hostPathType},
			},
		},
	}
	_, err := p.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	switch {
	case err == nil:
		log.Printf("created %s for claim %s/%s (%s)", name, pvc.Namespace, pvc.Name, size.String())
	case apierrors.IsAlreadyExists(err):
	default:
		log.Printf("claim %s/%s: create %s: %v", pvc.Namespace, pvc.Name, name, err)
	}
}

func (p *provisioner) volume(ctx context.Context, o any) {
	pv, ok := o.(*corev1.PersistentVolume)
	if !ok || pv.Annotations[annProvisionedBy] != p.name || pv.DeletionTimestamp != nil ||
		pv.Status.Phase != corev1.VolumeReleased ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return
	}
	if hp := pv.Spec.HostPath; hp != nil && filepath.Dir(hp.Path) == filepath.Clean(p.dir) {
		if err := os.RemoveAll(hp.Path); err != nil {
			log.Printf("volume %s: %v", pv.Name, err)
			return
		}
	}
	err := p.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &pv.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		log.Printf("volume %s: delete: %v", pv.Name, err)
		return
	}
	log.Printf("deleted released volume %s", pv.Name)
}
