/** The header every definition file starts with (seclab-taskflow-agent compatible). */
export const HEADER_KEY = 'seclab-taskflow-agent';
