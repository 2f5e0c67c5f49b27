// The classroom (issue #13): another face of the workshop core. A server gives each student a
// browser lab (the chapter, a terminal per node, verify/hint/next/catch up, the web UI) and the
// instructor a live radar of the room. See docs/architecture.md for where it sits.
export { classroomUp, classroomServe, classroomList, classroomDown, urlsOf, roomAddress, checkCapacity, limitsOf, describeLimits, DEFAULT_LIMITS, DEFAULT_PORT, MAX_STUDENTS } from './classroom.js';
export type { Running, Urls, ClassroomRow, UpOptions, ServeOptions } from './classroom.js';
export { parseEngine, placeLabs } from './engines.js';
export { capacity, labCost, availableMiB, MEASURED, type Capacity } from './capacity.js';
export { ClassroomServer } from './server.js';
export { Radar, p95, type RadarSnapshot, type RadarRow } from './radar.js';
export { rosterFile, readRoster, type Roster } from './roster.js';
