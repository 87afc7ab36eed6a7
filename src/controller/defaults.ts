/**
 * Controller defaults the CLI needs when it registers its flags, in a module that imports nothing, so
 * `--help` and the other commands do not load the controller.
 */

/** Event writes per second and burst: client-go's default client rate (5 QPS) with the burst of its event spam filter (25). */
export const DEFAULT_EVENT_RATE = { perSecond: 5, burst: 25 } as const;
