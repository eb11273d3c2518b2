// What every GPU model server (vLLM, NIM) shares: GPU requests, placement on GPU nodes, an in-memory
// /dev/shm, and a model cache volume.
//
// Pod Security: none of this needs an exception to the restricted standard. The NVIDIA device plugin
// (or DRA driver) hands the container its GPU device nodes through the container runtime, so the
// model servers run as a non-root user, without privileges, capabilities or host paths. The one
// cluster-specific knob is `runtimeClassName` (e.g. `nvidia`) on clusters whose default runtime is
// not NVIDIA's; it is not a Pod Security exception.

import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import { addExtendedResource, setPodSpecField } from './workload-defaults';

/** GPU placement options shared by the model servers. */
export interface GpuSchedulingOptions {
  /**
   * The extended resource GPUs are requested as.
   * @default 'nvidia.com/gpu'
   */
  readonly gpuResourceName?: string;
  /**
   * Node labels the pods must run on.
   * @default - { 'nvidia.com/gpu.present': 'true' } (set by NVIDIA GPU feature discovery)
   */
  readonly gpuNodeSelector?: Record<string, string>;
  /**
   * Taint keys of GPU nodes the pods tolerate (NoSchedule, any value).
   * @default ['nvidia.com/gpu']
   */
  readonly gpuTolerationKeys?: string[];
  /**
   * The RuntimeClass of the pods, on clusters whose default container runtime cannot expose GPUs.
   * @default - the node's default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * Size of the in-memory /dev/shm (NCCL and PyTorch use it between tensor-parallel workers). It
   * counts against the container's memory limit.
   * @default Size.gibibytes(8)
   */
  readonly sharedMemorySize?: Size;
}

/** Model cache options shared by the model servers. */
export interface ModelCacheOptions {
  /**
   * Size of the model cache volume created for the server.
   * @default Size.gibibytes(100)
   */
  readonly modelCacheSize?: Size;
  /**
   * Storage class of that volume.
   * @default - the cluster's default storage class
   */
  readonly modelCacheStorageClass?: string;
  /**
   * An existing PersistentVolumeClaim to use as the model cache instead (e.g. pre-populated).
   * @default - a claim is created
   */
  readonly modelCacheClaimName?: string;
}

/** Checks a positive whole number prop. */
export function checkPositiveInteger(value: number, prop: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${prop} must be a whole number of at least 1, got ${value}`);
}

/** Places a workload on GPU nodes and requests `gpus` GPUs for its first container. */
export function scheduleOnGpus(workload: kplus.Workload, gpus: number, options: GpuSchedulingOptions): void {
  checkPositiveInteger(gpus, 'gpus');
  addExtendedResource(workload, 0, options.gpuResourceName ?? 'nvidia.com/gpu', gpus);
  const selector = options.gpuNodeSelector ?? { 'nvidia.com/gpu.present': 'true' };
  const queries = Object.entries(selector).map(([key, value]) => kplus.NodeLabelQuery.is(key, value));
  if (queries.length > 0) workload.scheduling.attract(kplus.Node.labeled(...queries));
  for (const key of options.gpuTolerationKeys ?? ['nvidia.com/gpu']) {
    workload.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.exists(key, { effect: kplus.TaintEffect.NO_SCHEDULE })));
  }
  if (options.runtimeClassName !== undefined) setPodSpecField(workload, 'runtimeClassName', options.runtimeClassName);
}

/** The in-memory /dev/shm volume. */
export function sharedMemoryVolume(scope: Construct, options: GpuSchedulingOptions): kplus.Volume {
  return kplus.Volume.fromEmptyDir(scope, 'SharedMemory', 'dshm', {
    medium: kplus.EmptyDirMedium.MEMORY,
    sizeLimit: options.sharedMemorySize ?? Size.gibibytes(8),
  });
}

/** The model cache: an existing claim, or a new one (ReadWriteMany when several replicas share it). */
export function modelCacheVolume(scope: Construct, options: ModelCacheOptions, replicas: number): { volume: kplus.Volume; claim?: kplus.PersistentVolumeClaim } {
  if (options.modelCacheClaimName !== undefined) {
    if (options.modelCacheSize !== undefined || options.modelCacheStorageClass !== undefined) {
      throw new Error('modelCacheClaimName uses an existing claim; drop modelCacheSize and modelCacheStorageClass');
    }
    const existing = kplus.PersistentVolumeClaim.fromClaimName(scope, 'ModelCacheClaim', options.modelCacheClaimName);
    return { volume: kplus.Volume.fromPersistentVolumeClaim(scope, 'ModelCache', existing, { name: 'model-cache' }) };
  }
  const claim = new kplus.PersistentVolumeClaim(scope, 'ModelCacheClaim', {
    storage: options.modelCacheSize ?? Size.gibibytes(100),
    // One replica owns its cache; several share one, which needs a ReadWriteMany storage class.
    accessModes: [replicas > 1 ? kplus.PersistentVolumeAccessMode.READ_WRITE_MANY : kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
    ...(options.modelCacheStorageClass === undefined ? {} : { storageClassName: options.modelCacheStorageClass }),
  });
  return { claim, volume: kplus.Volume.fromPersistentVolumeClaim(scope, 'ModelCache', claim, { name: 'model-cache' }) };
}
