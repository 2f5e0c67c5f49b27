// Every label this tool puts on what it creates, in one place (testcontainers keeps its labels
// so too). Labels, not a state file, say what belongs to a lab: `lab down` removes exactly what
// carries LAB; what carries none of these is never touched.
export const LABELS = {
  /** the lab a container, volume or network belongs to */
  lab: 'io.devcoin.workshop.lab',
  /** bumped when a lab made by an older version can no longer be driven by this one */
  labVersion: 'io.devcoin.workshop.lab-version',
  /** node | hub | hub-seeder | network | shell */
  kind: 'io.devcoin.workshop.kind',
  node: 'io.devcoin.workshop.node',
  role: 'io.devcoin.workshop.role',
  address: 'io.devcoin.workshop.address',
  /** the shape `lab up` was asked for (on the lab's network, made first): a killed lab up is finished in that shape */
  shape: 'io.devcoin.workshop.shape',
  /** host port of a node's TLS engine (or the seeder's registry) */
  port: 'io.devcoin.workshop.port',
  /** host ports (127.0.0.1) of a node's ports 80 and 8080: the browser's way in (docs/decisions.md) */
  web80: 'io.devcoin.workshop.web-port',
  web8080: 'io.devcoin.workshop.web8080-port',
  /** the hubs' shared storage volume, kept by `lab down` like the images it copies */
  cache: 'io.devcoin.workshop.cache',
  /** doctor's and the bench's throw-away containers: never a lab's */
  trial: 'io.devcoin.workshop.trial',
  /** an image's inputs hash: setup skips an image whose inputs have not changed */
  inputs: 'io.devcoin.workshop.inputs',
  builtFrom: 'io.devcoin.workshop.built-from',
  /** a node that runs in a user namespace (the cage): its cgroups are handed to its root at each start */
  caged: 'io.devcoin.workshop.caged',
  /** the CPU cap of the node's lab in cores, set on the lab's cgroup at each start ('' = a fair share, no cap) */
  labCpus: 'io.devcoin.workshop.lab-cpus',
  /** a classroom's labs and the student each belongs to (classroom down removes by these) */
  classroom: 'io.devcoin.workshop.classroom',
} as const;
