// `images ...`: the workshop images, and moving them to a machine without internet.
import type { Command } from 'commander';
import { registerImagesLs } from './ls.js';
import { registerImagesSave } from './save.js';
import { registerImagesLoad } from './load.js';

export function registerImages(program: Command): void {
  const images = program.command('images').description('list the workshop images, or move them to a machine without internet');
  registerImagesLs(images);
  registerImagesSave(images);
  registerImagesLoad(images);
}
