import { fieldOf } from './error-fields.js';
import type { Environment } from './resolve-model.js';

/**
 * What differs between the endpoints seclab-taskflow-agent knows (its `capi.py` registry):
 * extra headers, the default model, where the model catalog is and how it says that a
 * model can call tools. Any other endpoint is `custom`.
 */
export type ProviderName = 'copilot' | 'github-models' | 'openai' | 'custom';

export interface EndpointProvider {
  readonly name: ProviderName;
  /** Model used when a task names none (and no default model is configured). */
  readonly defaultModel: string;
  /** Sent with every request to this endpoint (never secrets). */
  readonly headers: Readonly<Record<string, string>>;
  /** Where `taskflow models` asks for the list of models. */
  catalogUrl(endpoint: string): string;
  /**
   * Whether a catalog entry can call tools: a definite answer for the known providers
   * (as seclab decides it), `undefined` when a custom endpoint does not say.
   */
  toolCalls(entry: unknown): boolean | undefined;
}

/** The Copilot header's value when COPILOT_INTEGRATION_ID is not set (seclab's default). */
export const DEFAULT_COPILOT_INTEGRATION_ID = 'vscode-chat';

/** Model families of api.openai.com that take chat requests with tools (its catalog has no capabilities). */
const OPENAI_CHAT_PREFIXES = ['gpt-3.5', 'gpt-4', 'o1', 'o3', 'o4', 'chatgpt-'];

type ProviderTraits = Omit<EndpointProvider, 'headers'>;

const withSlashModels = (endpoint: string): string => `${endpoint.replace(/\/+$/, '')}/models`;

const KNOWN: Readonly<Record<string, ProviderTraits & { copilotHeader?: true }>> = {
  'api.githubcopilot.com': {
    name: 'copilot',
    defaultModel: 'gpt-4.1',
    copilotHeader: true,
    catalogUrl: withSlashModels,
    toolCalls: (entry) =>
      fieldOf(fieldOf(fieldOf(entry, 'capabilities'), 'supports'), 'tool_calls') === true,
  },
  'models.github.ai': {
    name: 'github-models',
    defaultModel: 'openai/gpt-4.1',
    // The catalog sits at the host's root, beside /inference.
    catalogUrl: (endpoint) => `${new URL(endpoint).origin}/catalog/models`,
    toolCalls: (entry) => {
      const capabilities = fieldOf(entry, 'capabilities');
      return Array.isArray(capabilities) && capabilities.includes('tool-calling');
    },
  },
  'api.openai.com': {
    name: 'openai',
    defaultModel: 'gpt-4.1',
    catalogUrl: withSlashModels,
    toolCalls: (entry) => {
      const id = fieldOf(entry, 'id');
      const lower = typeof id === 'string' ? id.toLowerCase() : '';
      return OPENAI_CHAT_PREFIXES.some((prefix) => lower.startsWith(prefix));
    },
  },
};

const CUSTOM: ProviderTraits = {
  name: 'custom',
  defaultModel: 'gpt-4.1',
  catalogUrl: withSlashModels,
  // Capabilities in either known shape are read when a server (or proxy) gives them.
  toolCalls: (entry) => {
    const capabilities = fieldOf(entry, 'capabilities');
    if (Array.isArray(capabilities)) return capabilities.includes('tool-calling');
    const supported = fieldOf(fieldOf(capabilities, 'supports'), 'tool_calls');
    return typeof supported === 'boolean' ? supported : undefined;
  },
};

/** `host[:port]` of a URL as written (lower case), or undefined when it is not one. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function present(environment: Environment, name: string): string | undefined {
  const value = environment[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The provider of `endpoint`, chosen by its host. An unknown host behind an AWF
 * (Agentic Workflow Firewall) proxy takes the traits of the provider that
 * `AWF_COPILOT_PROXY` names (a bare host or a URL); the requests still go to `endpoint`.
 * Copilot's traits include the `Copilot-Integration-Id` header (`COPILOT_INTEGRATION_ID`,
 * default `vscode-chat`).
 */
export function endpointProvider(endpoint: string, environment: Environment): EndpointProvider {
  const host = hostOf(endpoint);
  let known = host === undefined ? undefined : KNOWN[host];
  const upstream = present(environment, 'AWF_COPILOT_PROXY');
  if (known === undefined && upstream !== undefined) {
    known = KNOWN[(hostOf(upstream) ?? upstream).toLowerCase()];
  }
  if (known === undefined) return { ...CUSTOM, headers: {} };
  const { copilotHeader, ...traits } = known;
  const headers: Record<string, string> = copilotHeader
    ? {
        'Copilot-Integration-Id':
          present(environment, 'COPILOT_INTEGRATION_ID') ?? DEFAULT_COPILOT_INTEGRATION_ID,
      }
    : {};
  return { ...traits, headers };
}
