// Entry point of the api bundle: PORT (default 8080), HOST (default every interface, as a
// container needs; tests on a host set 127.0.0.1), Redis from the environment (password
// only from REDIS_PASSWORD_FILE), clean stop on SIGTERM.
import { connectRedis, logger, redisSettingsOrExit } from '../../lib/redis.js';
import { createApi } from './server.js';

const log = logger('api');
const settings = redisSettingsOrExit(log);
const port = Number(process.env.PORT || 8080);
const redis = connectRedis(settings, log);
const server = createApi(redis, { log });
const host = process.env.HOST || undefined;
server.listen(port, host, () => log(`listening on ${host ?? ''}:${port}`));

const stop = (signal: string) => {
  log(`${signal}: stopping`);
  // open SSE streams would keep close() waiting; end them
  server.closeAllConnections?.();
  server.close(() => {
    redis.disconnect();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
