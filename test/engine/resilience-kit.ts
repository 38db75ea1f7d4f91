import os from 'node:os';
import { setTimeout as realDelay } from 'node:timers/promises';
import type { LoadedTaskflow } from '../../src/definitions/load-taskflow.js';
import { modelClientFactory, resilienceOverridesOf } from '../../src/cli/model-clients.js';
import type { ResilienceRuntime } from '../../src/engine/model-caller.js';
import type { RunRecorder } from '../../src/engine/run-recorder.js';
import { runTaskflow, type RunResult } from '../../src/engine/run-taskflow.js';
import type { RunDependencies } from '../../src/engine/run-types.js';
import type { TaskflowEvent } from '../../src/events.js';
import { createLogger } from '../../src/logger.js';
import { resolveModelTarget } from '../../src/model/resolve-model.js';
import { Redactor } from '../../src/redactor.js';
import { BreakerRegistry } from '../../src/resilience/breaker.js';
import { createFakeClock, type FakeClock } from '../../src/resilience/clock.js';
import { GateRegistry, type RateLimitGate } from '../../src/resilience/gate.js';
import { PacerRegistry } from '../../src/resilience/pacer-registry.js';
import { seededRandom } from '../../src/resilience/random.js';
import type { FakeModelServer, FakeReply, RecordedRequest } from '../fakes/fake-model-server.js';
import { REPO_ROOT } from './engine-kit.js';

/**
 * Fault-injection runs: the real engine and HTTP model clients against the fake model
 * server, with every resilience wait on a fake clock that is advanced only while nothing
 * else is going on, so the server's fake-clock timestamps measure the decided waits exactly.
 */

/** A gate registry that remembers the gates it handed out (to sample them in tests). */
export class ObservedGates extends GateRegistry {
  readonly created: RateLimitGate[] = [];
  override get(endpoint: string, model: string, limit: number): RateLimitGate {
    const gate = super.get(endpoint, model, limit);
    if (!this.created.includes(gate)) this.created.push(gate);
    return gate;
  }
}

export interface FakeTime {
  readonly clock: FakeClock;
  readonly gates: ObservedGates;
  readonly runtime: ResilienceRuntime;
}

/**
 * A resilience runtime on a fake clock (starting at the real time) with seeded jitter;
 * with `pacing`, a pacer in front of the gate as in a real run (the gate tests leave it out
 * to watch the gate alone).
 */
export function fakeTime(seed = 7, options: { pacing?: boolean } = {}): FakeTime {
  const clock = createFakeClock(Date.now());
  const gates = new ObservedGates({ clock });
  const runtime: ResilienceRuntime = {
    ...(options.pacing === true && { pacers: new PacerRegistry({ clock }) }),
    gates,
    breakers: new BreakerRegistry({ clock }),
    clock,
    random: seededRandom(seed),
  };
  return { clock, gates, runtime };
}

/** A request as the scripted server saw it, stamped with the fake clock. */
export interface Arrival {
  readonly request: RecordedRequest;
  readonly atMs: number;
}

/**
 * Scripts the server: each model request gets the next of `steps` (a reply, or a function
 * of the request), the last one repeating. Returns the arrivals in order.
 */
export function scriptServer(
  server: FakeModelServer,
  clock: FakeClock,
  steps: readonly (FakeReply | ((request: RecordedRequest) => FakeReply | Promise<FakeReply>))[],
): Arrival[] {
  const arrivals: Arrival[] = [];
  server.setHandler((request) => {
    arrivals.push({ request, atMs: clock.now() });
    const step = steps[Math.min(arrivals.length, steps.length) - 1];
    if (step === undefined) throw new Error('scriptServer: no steps');
    return typeof step === 'function' ? step(request) : step;
  });
  return arrivals;
}

/** Gaps between consecutive arrivals, in fake milliseconds. */
export function arrivalGaps(arrivals: readonly Arrival[]): number[] {
  return arrivals.slice(1).map((arrival, index) => arrival.atMs - (arrivals[index]?.atMs ?? 0));
}

export interface FaultRunOptions {
  readonly server: FakeModelServer;
  readonly time: FakeTime;
  readonly recorder?: RunRecorder;
  readonly signal?: AbortSignal;
}

export interface FaultRun {
  readonly result: RunResult;
  readonly events: TaskflowEvent[];
  /** Times the driver moved the fake clock. */
  readonly advances: number;
}

/**
 * Runs `loaded` in-process the way the CLI builds its dependencies (model clients with the
 * watchdog settings of `model_settings.<m>.resilience`), driving the fake clock: whenever
 * no model request is in flight and nothing has changed for a few real ticks, the clock
 * jumps to the next pending wake-up.
 */
export async function runWithFakeTime(
  loaded: LoadedTaskflow,
  workingDirectory: string,
  options: FaultRunOptions,
): Promise<FaultRun> {
  const { server, time } = options;
  const events: TaskflowEvent[] = [];
  let toolCallsRunning = 0;
  let attemptsStarted = 0;
  const onEvent = (event: TaskflowEvent) => {
    if (event.type === 'model-request-start') attemptsStarted += 1;
    events.push(event);
    if (event.type === 'tool-call-start') toolCallsRunning += 1;
    if (event.type === 'tool-call-end') toolCallsRunning -= 1;
  };
  const environment = {
    PATH: process.env.PATH,
    HOME: workingDirectory,
    TMPDIR: os.tmpdir(),
    AI_API_ENDPOINT: server.url,
    AI_API_TOKEN: 'fault-test-token',
    // The bundled echo toolbox then serves taskflow's diagnostic `echo` (see engine-kit).
    TASKFLOW_ECHO_DIAGNOSTICS: '1',
  };
  const redactor = new Redactor();
  const logger = createLogger({ redactor });
  const deps: RunDependencies = {
    loaded,
    environment,
    workingDirectory,
    runner: { node: process.execPath, root: REPO_ROOT },
    onEvent,
    logger,
    redactor,
    signal: options.signal ?? new AbortController().signal,
    headless: true,
    resilience: time.runtime,
    resilienceOverrides: resilienceOverridesOf,
    createClient: modelClientFactory({ redactor }),
    resolveModel: (name, taskSettings) =>
      resolveModelTarget({
        name,
        ...(loaded.modelConfig && { modelConfig: loaded.modelConfig }),
        taskSettings,
        environment,
      }),
    defaultModel: 'fake-model',
    ...(options.recorder && { recorder: options.recorder }),
  };
  let settled = false;
  const running = runTaskflow(deps, loaded.taskflow.globals).finally(() => (settled = true));
  try {
    const advances = await driveClock(time.clock, {
      settled: () => settled,
      state: () => `${server.requests.length}/${server.inFlight}/${events.length}`,
      // An attempt on its way to the server (slow on a loaded machine) is busy too.
      busy: () =>
        server.inFlight > 0 || toolCallsRunning > 0 || attemptsStarted > modelRequests(server),
    });
    return { result: await running, events, advances };
  } finally {
    await running.catch(() => undefined);
    await logger.close();
  }
}

/** Model requests (chat or responses) the server received. */
function modelRequests(server: FakeModelServer): number {
  return server.requests.filter((request) => request.api === 'chat' || request.api === 'responses')
    .length;
}

/**
 * Polls every 5 ms; after 3 polls in a row with nothing busy, nothing changed and a sleep
 * pending, advances the clock to that sleep's wake-up.
 */
async function driveClock(
  clock: FakeClock,
  run: { settled(): boolean; state(): string; busy(): boolean },
): Promise<number> {
  let advances = 0;
  let quietPolls = 0;
  let lastState = '';
  while (!run.settled()) {
    await realDelay(5);
    const state = `${run.state()}/${clock.pendingSleeps}/${clock.nextWakeAt()}`;
    const quiet = state === lastState && !run.busy() && clock.pendingSleeps > 0;
    lastState = state;
    quietPolls = quiet ? quietPolls + 1 : 0;
    if (quietPolls < 3) continue;
    quietPolls = 0;
    const wakeAt = clock.nextWakeAt();
    if (wakeAt === undefined) continue;
    await clock.advance(Math.max(0, wakeAt - clock.now()));
    advances += 1;
    if (advances > 5000) throw new Error('the fake clock was advanced 5000 times: runaway run');
  }
  return advances;
}

/** Events of one type, narrowed. */
export function eventsOfType<T extends TaskflowEvent['type']>(
  events: readonly TaskflowEvent[],
  type: T,
): Extract<TaskflowEvent, { type: T }>[] {
  return events.filter(
    (event): event is Extract<TaskflowEvent, { type: T }> => event.type === type,
  );
}
