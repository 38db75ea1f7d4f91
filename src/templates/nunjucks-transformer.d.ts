// nunjucks' transformer (block `super()` lifting, async conversion), which its type
// definitions leave out; nunjucks-internals.ts types what taskflow uses of it.
declare module 'nunjucks/src/transformer.js' {
  const transformer: unknown;
  export default transformer;
}
