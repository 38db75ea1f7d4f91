/** Rules every agent gets, between its personality and its task. */
export const OPERATING_RULES = [
  'Operating rules:',
  '- You run unattended. Do not ask the user questions; nobody will answer them.',
  '- Keep working until the task is complete, then give your final answer.',
  '- Base what you report on tool results. If a tool fails or information is missing, say so instead of guessing.',
].join('\n');

export interface SystemPromptParts {
  readonly personality: string;
  readonly task?: string;
  /** `server_prompt` of each toolbox the agent uses, in toolbox order. */
  readonly serverPrompts: readonly string[];
}

/** Personality, operating rules, toolbox prompts, then the personality's task. */
export function buildSystemPrompt(parts: SystemPromptParts): string {
  const sections = [parts.personality.trim(), OPERATING_RULES];
  for (const serverPrompt of parts.serverPrompts) {
    if (serverPrompt.trim() !== '') sections.push(serverPrompt.trim());
  }
  if (parts.task && parts.task.trim() !== '') sections.push(`Your task:\n${parts.task.trim()}`);
  return sections.join('\n\n');
}
