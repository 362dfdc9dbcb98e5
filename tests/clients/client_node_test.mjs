// @kubernetes/client-node 1.x against a Rudder API server: CoreV1 list/create/get/replace/
// delete of pods, a Watch seeing ADDED/MODIFIED/DELETED, an informer (list + watch) and an
// AppsV1 list. Usage: node client_node_test.mjs <node_modules dir> <kubeconfig>.
// Prints "ok: ..." per check, "FAIL: ..." on failure; exits 1 when anything failed.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, kubeconfig] = process.argv.slice(2);
const k8s = await import(
  pathToFileURL(path.join(modules, '@kubernetes/client-node/dist/index.js')).href);

let failed = false;
function check(what, cond, detail) {
  if (cond) {
    console.log(`ok: ${what}`);
  } else {
    failed = true;
    console.log(`FAIL: ${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`);
  }
}

// Resolves once pred() holds, polling every 20 ms; rejects after `ms` (a hang guard only).
function until(pred, what, ms = 15000) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - start > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const ns = 'default';
const pod = (name, labels) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

try {
  let list = await core.listNamespacedPod({ namespace: ns });
  check('CoreV1Api.listNamespacedPod (empty)', list.items.length === 0, list.items.length);

  // A watch on pods, from the list's resourceVersion.
  const events = [];
  const watch = new k8s.Watch(kc);
  const req = await watch.watch(
    `/api/v1/namespaces/${ns}/pods`,
    { resourceVersion: list.metadata.resourceVersion },
    (type, obj) => events.push([type, obj.metadata.name]),
    (err) => { if (err && err.name !== 'AbortError') events.push(['ERROR', String(err)]); });

  // An informer: list, then watch.
  const seen = { add: [], update: [], delete: [] };
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/pods`,
                                    () => core.listNamespacedPod({ namespace: ns }));
  for (const ev of ['add', 'update', 'delete']) {
    informer.on(ev, (obj) => seen[ev].push(obj.metadata.name));
  }
  let informerError = null;
  informer.on('error', (err) => { informerError = err; });
  await informer.start();

  const created = await core.createNamespacedPod({ namespace: ns, body: pod('p1', { app: 'a' }) });
  check('CoreV1Api.createNamespacedPod', created.metadata.name === 'p1' &&
        /^[0-9a-f-]{36}$/.test(created.metadata.uid), created.metadata);
  const got = await core.readNamespacedPod({ name: 'p1', namespace: ns });
  check('CoreV1Api.readNamespacedPod', got.metadata.uid === created.metadata.uid &&
        got.spec.containers[0].image === 'busybox' && got.status.phase === 'Pending', got.status);
  got.metadata.labels.tier = 'web';
  const replaced = await core.replaceNamespacedPod({ name: 'p1', namespace: ns, body: got });
  check('CoreV1Api.replaceNamespacedPod', replaced.metadata.labels.tier === 'web');
  list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'tier=web' });
  check('CoreV1Api.listNamespacedPod (labelSelector)',
        list.items.length === 1 && list.items[0].metadata.name === 'p1', list.items.length);
  try {
    await core.readNamespacedPod({ name: 'nope', namespace: ns });
    check('readNamespacedPod of a missing pod fails', false);
  } catch (e) {
    check('readNamespacedPod of a missing pod is 404', e.code === 404, e.code);
  }
  await core.deleteNamespacedPod({ name: 'p1', namespace: ns });

  await until(() => events.some(([t]) => t === 'DELETED'), 'the watch DELETED event');
  check('Watch: ADDED, MODIFIED, DELETED',
        JSON.stringify(events) ===
        JSON.stringify([['ADDED', 'p1'], ['MODIFIED', 'p1'], ['DELETED', 'p1']]), events);
  req.abort();

  await until(() => seen.delete.length > 0, 'the informer delete');
  check('informer: add, update, delete',
        seen.add.includes('p1') && seen.update.includes('p1') && seen.delete.includes('p1'), seen);
  check('informer: no error', informerError === null, String(informerError));
  check('informer cache empty after the delete', informer.list(ns).length === 0);
  await informer.stop();

  const deployments = await apps.listNamespacedDeployment({ namespace: ns });
  check('AppsV1Api.listNamespacedDeployment', Array.isArray(deployments.items) &&
        deployments.kind === 'DeploymentList', deployments.kind);
  const all = await apps.listDeploymentForAllNamespaces();
  check('AppsV1Api.listDeploymentForAllNamespaces', Array.isArray(all.items));
} catch (e) {
  failed = true;
  console.log(`FAIL: ${e.stack || e}`);
}
console.log(failed ? 'FAILED' : 'PASS');
process.exit(failed ? 1 : 0);
