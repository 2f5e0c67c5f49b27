// The one module that knows the swarm, above the Lab door: forming and leaving it as chapter 2
// teaches, and reading nodes, services and tasks through whichever manager can answer.
export { formSwarm, leaveSwarm, swarmState } from './form.js';
export {
  managerEngine, managerStarting, swarmNodes, serviceState, anyConverging, nodeNames, nodeOfTask,
  type SwarmNode, type SwarmService, type SwarmTask, type ServiceState,
} from './read.js';
