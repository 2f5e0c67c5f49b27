// `classroom ...`: a lab per student in a browser, and the instructor's radar (issue #13).
import type { Command } from 'commander';
import { registerClassroomUp } from './up.js';
import { registerClassroomServe } from './serve.js';
import { registerClassroomLs } from './ls.js';
import { registerClassroomDown } from './down.js';

export function registerClassroom(program: Command): void {
  const classroom = program
    .command('classroom')
    .description('a lab per student in the browser, and a live radar for the instructor')
    .addHelpText('after', '\nExamples:\n  devcoin-workshop classroom up --students 12 --bind 0.0.0.0\n  devcoin-workshop classroom serve      (again, same URLs)\n  devcoin-workshop classroom ls\n  devcoin-workshop classroom down');
  registerClassroomUp(classroom);
  registerClassroomServe(classroom);
  registerClassroomLs(classroom);
  registerClassroomDown(classroom);
}
