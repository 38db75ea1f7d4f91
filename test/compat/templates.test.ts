/**
 * seclab's template rendering, as its own tests and its Jinja2 Environment define it
 * (template_utils.create_jinja_environment: no autoescape, trim_blocks, lstrip_blocks,
 * StrictUndefined, env() global, prompts included by dotted name). Expected values are
 * seclab's: its tests' own values, and for the Jinja2 constructs the output of that
 * Environment (Jinja2 3.1.6) on the same template and data.
 */
import { describe, expect, it } from 'vitest';
import { createTestRenderer, thrownBy } from '../templates/template-test-kit.js';

/** tests/data and examples/prompts of seclab, as the prompt loader returns them. */
const SECLAB_PROMPTS = {
  'examples.prompts.example_prompt': 'Tell me more about bananas as well.\n',
  'tests.data.test_prompt_with_variables':
    'This is a reusable prompt.\nGlobal variable: {{ globals.test_global }}\nInput variable: {{ inputs.test_input }}\n',
};

describe('seclab tests/test_template_utils.py: env()', () => {
  it('reads a variable that is set', () => {
    const { renderer } = createTestRenderer({ environment: { TEST_VAR_JINJA: 'test_value' } });
    expect(renderer.render("{{ env('TEST_VAR_JINJA') }}", {})).toBe('test_value');
  });

  it('fails for a required variable that is not set', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.render("{{ env('NONEXISTENT_VAR_JINJA') }}", {}));
    expect(error.code).toBe('template');
    expect(error.message).toBe('environment variable "NONEXISTENT_VAR_JINJA" is not set');
  });

  it('returns the default of a missing variable', () => {
    const { renderer } = createTestRenderer();
    expect(
      renderer.render(
        "{{ env('NONEXISTENT_VAR_JINJA', default='default_value', required=False) }}",
        {},
      ),
    ).toBe('default_value');
  });

  it('returns an empty string for an optional missing variable', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.render("[{{ env('NONEXISTENT_VAR_JINJA', required=False) }}]", {})).toBe('[]');
  });

  it('prefers the variable that is set over the default', () => {
    const { renderer } = createTestRenderer({ environment: { TEST_VAR_DEFAULT: 'actual_value' } });
    expect(renderer.render("{{ env('TEST_VAR_DEFAULT', default='default_value') }}", {})).toBe(
      'actual_value',
    );
  });
});

describe('seclab tests/test_template_utils.py: environment and render_template', () => {
  const render = (
    template: string,
    context: Record<string, unknown> = {},
    environment: Record<string, string> = {},
  ) =>
    createTestRenderer({ environment, prompts: SECLAB_PROMPTS }).renderer.render(template, context);

  it('raises for an undefined variable (StrictUndefined)', () => {
    const { renderer } = createTestRenderer();
    expect(thrownBy(() => renderer.render('{{ undefined_var }}', {})).code).toBe('template');
    expect(
      thrownBy(() => renderer.render('{{ globals.undefined }}', { globals: {} })).message,
    ).toBe('undefined variable "globals.undefined"');
  });

  it('renders globals, inputs, results and env()', () => {
    expect(render('Tell me about {{ globals.fruit }}', { globals: { fruit: 'apples' } })).toBe(
      'Tell me about apples',
    );
    expect(render('Color: {{ inputs.color }}', { inputs: { color: 'red' } })).toBe('Color: red');
    expect(render('Value: {{ result }}', { result: 42 })).toBe('Value: 42');
    expect(
      render('Name: {{ result.name }}, Age: {{ result.age }}', {
        result: { name: 'Alice', age: 30 },
      }),
    ).toBe('Name: Alice, Age: 30');
    expect(render("Env: {{ env('TEST_ENV_VAR') }}", {}, { TEST_ENV_VAR: 'env_value' })).toBe(
      'Env: env_value',
    );
    expect(
      render("{{ env('TEST_TEMPLATE_VAR') }}", {}, { TEST_TEMPLATE_VAR: 'template_value' }),
    ).toBe('template_value');
  });

  it('renders several kinds of variables in one template', () => {
    const template =
      "Model: {{ env('TEST_MODEL') }}\nFruit: {{ globals.fruit }}\nColor: {{ inputs.color }}\nResult: {{ result.value }}";
    const context = {
      globals: { fruit: 'banana' },
      inputs: { color: 'yellow' },
      result: { value: 123 },
    };
    expect(render(template, context, { TEST_MODEL: 'gpt-4' })).toBe(
      'Model: gpt-4\nFruit: banana\nColor: yellow\nResult: 123',
    );
  });

  it('reads nested values, applies filters and leaves static text alone', () => {
    expect(
      render('Config: {{ globals.config.model }}', { globals: { config: { model: 'claude-3' } } }),
    ).toBe('Config: claude-3');
    expect(render('{{ globals.name | upper }}', { globals: { name: 'alice' } })).toBe('ALICE');
    expect(render('Static text')).toBe('Static text');
  });
});

describe('seclab tests/test_template_utils.py: prompts included by dotted name', () => {
  const { renderer } = createTestRenderer({ prompts: SECLAB_PROMPTS });

  it('includes a prompt (without its trailing newline)', () => {
    expect(
      renderer.render("Main content.\n{% include 'examples.prompts.example_prompt' %}", {}),
    ).toBe('Main content.\nTell me more about bananas as well.');
  });

  it('fails for a prompt that does not exist', () => {
    const error = thrownBy(() => renderer.render("{% include 'nonexistent.prompt' %}", {}));
    expect(error.code).toBe('reference-unresolved');
  });

  it("renders an included prompt in the including template's context", () => {
    expect(
      renderer.render(
        "Value: {{ globals.test }}\n{% include 'examples.prompts.example_prompt' %}",
        {
          globals: { test: 'context_value' },
        },
      ),
    ).toBe('Value: context_value\nTell me more about bananas as well.');
    // trim_blocks eats the newline after the tag and the prompt lost its own: seclab joins the lines.
    expect(
      renderer.render(
        "Main task prompt.\n{% include 'tests.data.test_prompt_with_variables' %}\nEnd of prompt.",
        { globals: { test_global: 'global_value' }, inputs: { test_input: 'input_value' } },
      ),
    ).toBe(
      'Main task prompt.\nThis is a reusable prompt.\nGlobal variable: global_value\nInput variable: input_valueEnd of prompt.',
    );
  });

  it("renders a reusable taskflow's prompt with the parent's globals and inputs", () => {
    const userPrompt =
      'This is a reusable taskflow.\nGlobal: {{ globals.reusable_global }}\nInput: {{ inputs.reusable_input }}\n';
    expect(
      renderer.render(userPrompt, {
        globals: { reusable_global: 'parent_global_value' },
        inputs: { reusable_input: 'parent_input_value' },
      }),
    ).toBe('This is a reusable taskflow.\nGlobal: parent_global_value\nInput: parent_input_value');
  });
});

describe('seclab tests/test_env_utils.py: swap_env', () => {
  it('renders env() and globals, fails on a missing global, and keeps env() from the context', () => {
    const { renderer } = createTestRenderer({
      environment: { TEST_SWAP_ENV_VAR: 'hello', TEST_SWAP_RESERVED: 'works' },
    });
    expect(renderer.render('no templates here', {})).toBe('no templates here');
    expect(renderer.render('{{ env("TEST_SWAP_ENV_VAR") }}', {})).toBe('hello');
    expect(
      renderer.render('key-{{ globals.ghsa_id }}', { globals: { ghsa_id: 'GHSA-1234' } }),
    ).toBe('key-GHSA-1234');
    expect(thrownBy(() => renderer.render('{{ globals.missing }}', {})).code).toBe('template');
    expect(renderer.render('{{ env("TEST_SWAP_RESERVED") }}', { env: 'should be filtered' })).toBe(
      'works',
    );
  });
});

/** Data for the Jinja2 construct cases (the `globals` of each case). */
const GLOBALS = {
  fruit: 'apple',
  flag: true,
  off: false,
  nothing: null,
  none: 'N',
  true: 'T',
  false: 'F',
  null: 'NU',
  d: { a: 1, b: [1, 'x'], c: null, items: [9] },
  l: ['x', 'y', 'z'],
  s: '  Hello World  ',
  f: 1.5,
  n: 3,
  e: 1e-5,
  q: "it's",
  qq: 'say "hi" it\'s',
  nl: 'a\nb\tc\\',
  u: 'ünï😀',
  neg: -2.5,
  big: 12345678.9,
  people: [
    { name: 'Ann', age: 3, ok: true },
    { name: 'Bob', age: 5, ok: false },
  ],
  csv: 'a,b,,c',
  html: "<a href='x'>&</a>",
  zero: 0,
  empty: [],
  ed: {},
};

/** [template, what seclab's Environment renders with `globals` = GLOBALS]. */
const JINJA2_CASES: Record<string, [string, string][]> = {
  'member names that are keywords elsewhere': [
    ['{{ globals.none }} {{ globals.true }} {{ globals.false }} {{ globals.null }}', 'N T F NU'],
  ],
  'values printed as Python prints them': [
    [
      '{{ globals.flag }} {{ globals.off }} {{ globals.nothing }} {{ None }} {{ True }}',
      'True False None None True',
    ],
    [
      '{{ globals.d }} {{ globals.l }} {{ globals.people }}',
      "{'a': 1, 'b': [1, 'x'], 'c': None, 'items': [9]} ['x', 'y', 'z'] [{'name': 'Ann', 'age': 3, 'ok': True}, {'name': 'Bob', 'age': 5, 'ok': False}]",
    ],
    [
      '{{ globals.f }} {{ globals.e }} {{ globals.neg }} {{ globals.big }} {{ 0.1 + 0.2 }} {{ 7 // 2 }} {{ 2 ** 10 }}',
      '1.5 1e-05 -2.5 12345678.9 0.30000000000000004 3 1024',
    ],
    [
      '{{ [globals.q, globals.qq, globals.nl, globals.u] }}',
      "[\"it's\", 'say \"hi\" it\\'s', 'a\\nb\\tc\\\\', 'ünï😀']",
    ],
    [
      '{{ "a" ~ 1 ~ True ~ None ~ globals.d }} {{ globals.l ~ "" }}',
      "a1TrueNone{'a': 1, 'b': [1, 'x'], 'c': None, 'items': [9]} ['x', 'y', 'z']",
    ],
  ],
  tojson: [
    [
      '{{ globals.d | tojson }} {{ globals.html | tojson }} {{ globals.u | tojson }} {{ globals.l | tojson(indent=2) }} {{ globals.people | tojson(2) }} {{ globals.ed | tojson }} {{ globals.empty | tojson(2) }}',
      '{"a": 1, "b": [1, "x"], "c": null, "items": [9]} "\\u003ca href=\\u0027x\\u0027\\u003e\\u0026\\u003c/a\\u003e" "\\u00fcn\\u00ef\\ud83d\\ude00" [\n  "x",\n  "y",\n  "z"\n] [\n  {\n    "age": 3,\n    "name": "Ann",\n    "ok": true\n  },\n  {\n    "age": 5,\n    "name": "Bob",\n    "ok": false\n  }\n] {} []',
    ],
    [
      '{{ {"b": 1, "a": {"d": 2, "c": [1, 2.5, none, true]}} | tojson }}',
      '{"a": {"c": [1, 2.5, null, true], "d": 2}, "b": 1}',
    ],
    [
      '{{ globals.nothing | tojson }} {{ globals.flag | tojson }} {{ globals.e | tojson }} {{ "\\n\\t\\"" | tojson }}',
      'null true 1e-05 "\\n\\t\\""',
    ],
  ],
  'dict methods': [
    [
      '{{ globals.d.get("a") }} {{ globals.d.get("zz") }} {{ globals.d.get("zz", "dflt") }} {{ globals.d.get("c", 5) }} {{ globals.get("fruit") }} {{ globals.get("missing", "x") }}',
      '1 None dflt None apple x',
    ],
    [
      '{{ globals.d.items() }} {{ globals.d.keys() }} {{ globals.d.values() }} {{ globals.d.items() | list }} {{ globals.d.keys() | list }}',
      "dict_items([('a', 1), ('b', [1, 'x']), ('c', None), ('items', [9])]) dict_keys(['a', 'b', 'c', 'items']) dict_values([1, [1, 'x'], None, [9]]) [('a', 1), ('b', [1, 'x']), ('c', None), ('items', [9])] ['a', 'b', 'c', 'items']",
    ],
    [
      '{% for k, v in globals.d.items() %}{{ k }}={{ v }};{% endfor %}',
      "a=1;b=[1, 'x'];c=None;items=[9];",
    ],
    [
      '{% for k in globals.d.keys() %}{{ k }},{% endfor %}|{% for v in globals.d.values() %}{{ v }},{% endfor %}|{% for k in globals.d %}{{ k }}.{% endfor %}',
      "a,b,c,items,|1,[1, 'x'],None,[9],|a.b.c.items.",
    ],
    ['{{ globals.d["items"] }} {{ globals.d.items() | length }}', '[9] 4'],
    [
      '{{ globals.l.index("y") }} {{ globals.l.count("x") }} {{ globals.d.copy() }}',
      "1 1 {'a': 1, 'b': [1, 'x'], 'c': None, 'items': [9]}",
    ],
    [
      '{{ {"a": 1}.items() | list }} {{ {"k": "v"}.get("k") }} {{ [1, [2, (3, 4)]] }}',
      "[('a', 1)] v [1, [2, (3, 4)]]",
    ],
  ],
  'str methods': [
    [
      '{{ globals.s.strip() }}|{{ globals.s.lstrip() }}|{{ globals.s.rstrip() }}|{{ "xxhixx".strip("x") }}|{{ globals.fruit.upper() }}|{{ "ABC".lower() }}',
      'Hello World|Hello World  |  Hello World|hi|APPLE|abc',
    ],
    [
      '{{ globals.s.split() }} {{ globals.csv.split(",") }} {{ globals.csv.split(",", 1) }} {{ "a b c".rsplit(None, 1) }} {{ globals.csv.rsplit(",", 2) }} {{ "  a  b ".split(" ") }}',
      "['Hello', 'World'] ['a', 'b', '', 'c'] ['a', 'b,,c'] ['a b', 'c'] ['a,b', '', 'c'] ['', '', 'a', '', 'b', '']",
    ],
    [
      '{{ globals.fruit.startswith("ap") }} {{ globals.fruit.startswith(("x", "a")) }} {{ globals.fruit.endswith("le") }} {{ globals.fruit.endswith("x") }} {{ globals.fruit.startswith("p", 1) }}',
      'True True True False True',
    ],
    [
      '{{ globals.fruit.replace("p", "P") }} {{ "aaaa".replace("a", "b", 2) }} {{ "ab".replace("", "-") }}',
      'aPPle bbaa -a-b-',
    ],
    [
      '{{ "hello world".title() }} {{ "hELLO".capitalize() }} {{ "a,b".split(",") | length }} {{ "ab".center(6, "*") }} {{ "ab".center(5) }}| {{ "7".zfill(3) }} {{ "-7".zfill(4) }} {{ "x".ljust(3, ".") }}',
      'Hello World Hello 2 **ab**   ab | 007 -007 x..',
    ],
    [
      '{{ "abcabc".count("b") }} {{ "abcabc".find("c") }} {{ "abcabc".rfind("c") }} {{ "abc".find("z") }} {{ "123".isdigit() }} {{ "a1".isalpha() }} {{ "  ".isspace() }} {{ "abc".islower() }}',
      '2 2 5 -1 True False True True',
    ],
    [
      '{{ "l1\\nl2\\r\\nl3\\n".splitlines() }} {{ "x y".split(" ")[1] }} {{ "pre_x".removeprefix("pre_") }}',
      "['l1', 'l2', 'l3'] y x",
    ],
  ],
  'str.format': [
    [
      '{{ "{} and {}".format(1, "two") }} {{ "{0}{1}{0}".format("a", "b") }} {{ "{name}!".format(name="x") }} {{ "{:>6}|{:<6}|{:^6}|".format("ab", "cd", "ef") }}',
      '1 and two aba x!     ab|cd    |  ef  |',
    ],
    [
      '{{ "{:.2f} {:5d} {:05d} {:x} {:#x} {:,} {:e} {:g} {:.3} {:%}".format(3.14159, 42, 42, 255, 255, 1234567, 12345.678, 0.00001234, 2.0/3, 0.25) }}',
      '3.14    42 00042 ff 0xff 1,234,567 1.234568e+04 1.234e-05 0.667 25.000000%',
    ],
    ['{{ "{0[a]} {0[b][1]} {1!r} {1!s} {2}".format(globals.d, "q", none) }}', "1 x 'q' q None"],
    [
      '{{ "{{literal}} {}".format(1) }} {{ "{:*^9}".format("mid") }} {{ "{:+d} {: d} {:=+6d}".format(5, 5, -5) }}',
      '{literal} 1 ***mid*** +5  5 -    5',
    ],
    [
      '{{ "%.1f%%" | format(12.345) }} {{ "{:08.3f}".format(-3.14159) }} {{ "{:,.2f}".format(1234567.891) }} {{ "{:_}".format(1000000) }} {{ "{:b} {:o} {:#b}".format(5, 8, 5) }}',
      '12.3% -003.142 1,234,567.89 1_000_000 101 10 0b101',
    ],
  ],
  'format filter': [
    [
      '{{ "%s - %s" | format("a", 1) }} {{ "%d%%" | format(50) }} {{ "%5.2f|%-5s|%05d|%x|%r|%.2s" | format(3.14159, "ab", 42, 255, "q", "xyz") }} {{ "%(a)s-%(b)d" | format(a="A", b=2) }}',
      "a - 1 50%  3.14|ab   |00042|ff|'q'|xy A-2",
    ],
    [
      '{{ "%s" | format(globals.d) }} {{ "%s|%s|%s" | format(true, none, [1, "a"]) }} {{ "%e %g %G %10.3e" | format(12345.678, 0.0001, 100000000000000000000.0, 3.5) }}',
      "{'a': 1, 'b': [1, 'x'], 'c': None, 'items': [9]} True|None|[1, 'a'] 1.234568e+04 0.0001 1E+20  3.500e+00",
    ],
  ],
  'join, map, select, reject, selectattr, rejectattr': [
    [
      '{{ globals.l | join(", ") }} {{ [1, True, None, "s", 2.5] | join("-") }} {{ globals.people | join(", ", attribute="name") }} {{ globals.l | join }}',
      'x, y, z 1-True-None-s-2.5 Ann, Bob xyz',
    ],
    [
      '{{ globals.l | map("upper") | list }} {{ globals.l | map("upper") | join(",") }} {{ globals.people | map(attribute="name") | list }} {{ globals.people | map(attribute="missing", default="?") | list }} {{ [1, 2] | map("string") | list }}',
      "['X', 'Y', 'Z'] X,Y,Z ['Ann', 'Bob'] ['?', '?'] ['1', '2']",
    ],
    [
      '{{ ["a", "b"] | map("replace", "a", "z") | list }} {{ globals.d | map("upper") | list }}',
      "['z', 'b'] ['A', 'B', 'C', 'ITEMS']",
    ],
    [
      '{{ [0, 1, "", "a", [], [0], none, {}] | select | list }} {{ [1, 2, 3, 4] | select("odd") | list }} {{ [1, 2, 3, 4] | reject("odd") | list }} {{ [1, 2, 3] | select("equalto", 2) | list }} {{ [1, 2, 3] | select("in", [1, 3]) | list }}',
      "[1, 'a', [0]] [1, 3] [2, 4] [2] [1, 3]",
    ],
    [
      '{{ globals.people | selectattr("ok") | map(attribute="name") | list }} {{ globals.people | rejectattr("ok") | map(attribute="name") | list }} {{ globals.people | selectattr("age", "gt", 4) | map(attribute="name") | join }}',
      "['Ann'] ['Bob'] Bob",
    ],
  ],
  'slicing and indexing': [
    [
      '{{ [1,2,3,4,5][1:3] }} {{ [1,2,3,4,5][::2] }} {{ [1,2,3,4,5][::-1] }} {{ [1,2,3,4,5][-2:] }} {{ [1,2,3,4,5][:-2] }} {{ "abcdef"[1:4] }} {{ "abcdef"[::-2] }} {{ globals.l[1:] }} {{ globals.l[5:] }} {{ globals.u[1:3] }}',
      "[2, 3] [1, 3, 5] [5, 4, 3, 2, 1] [4, 5] [1, 2, 3] bcd fdb ['y', 'z'] [] nï",
    ],
    [
      '{% set x = globals.l[1:] %}{{ x | length }} {{ (globals.l[0:2] | join("+")) }} {{ globals.fruit[0] }} {{ globals.fruit[-1] }}',
      '2 x+y a e',
    ],
  ],
  'other filters, tests and operators': [
    [
      '{{ globals.d | string }} {{ globals.flag | string }} {{ globals.d | list }} {{ "ab" | list }} {{ globals.d | items | list }}',
      "{'a': 1, 'b': [1, 'x'], 'c': None, 'items': [9]} True ['a', 'b', 'c', 'items'] ['a', 'b'] [('a', 1), ('b', [1, 'x']), ('c', None), ('items', [9])]",
    ],
    [
      '{{ none is none }} {{ globals.flag is true }} {{ globals.off is false }} {{ 1 is integer }} {{ 1.5 is float }} {{ globals.flag is boolean }} {{ "a" is in "abc" }} {{ globals.l is sequence }} {{ [1] == [1] }}',
      'True True True True True True True True True',
    ],
    [
      '{{ 1 in [1, 2] }} {{ "x" in globals.l }} {{ "a" in globals.d }} {{ "zz" in globals.d }} {{ "pp" in globals.fruit }} {{ [1] in [[1], 2] }}',
      'True True True False True True',
    ],
    [
      '{{ globals.l | first }} {{ globals.l | last }} {{ globals.l | length }} {{ globals.d | length }} {{ globals.l | reverse | list }} {{ [3, 1, 2] | sort }} {{ globals.people | sort(attribute="age", reverse=true) | map(attribute="name") | list }}',
      "x z 3 4 ['z', 'y', 'x'] [1, 2, 3] ['Bob', 'Ann']",
    ],
    [
      '{{ globals.missing | default("dflt") }} {{ globals.nothing | default("dflt") }} {{ globals.empty | default("e", true) }} {{ globals.fruit | upper }} {{ globals.fruit | replace("p", "b") }} {{ globals.fruit | length }}',
      'dflt None e APPLE abble 5',
    ],
    [
      '{% if globals.empty %}yes{% else %}no{% endif %} {% if globals.ed %}yes{% else %}no{% endif %} {{ globals.empty or "fallback" }} {{ not globals.empty }}',
      'no no fallback True',
    ],
    [
      '{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ [1, 2, 3] | sum }} {{ ["b", "a"] | sort | join }}',
      '[0, 1, 2] [1, 3, 5] 6 ab',
    ],
  ],
};

describe('Jinja2 constructs seclab templates use', () => {
  const { renderer } = createTestRenderer();
  for (const [topic, cases] of Object.entries(JINJA2_CASES)) {
    it.each(cases)(`${topic}: %s`, (template, expected) => {
      expect(renderer.render(template, { globals: GLOBALS })).toBe(expected);
    });
  }
});

/** Data of the second group of expression cases. */
const MORE_GLOBALS = {
  fruit: 'apple',
  l: ['x', 'y', 'z'],
  d: { a: 1, b: 2 },
  n: 3,
  f: 2.5,
  s: 'hello world',
  people: [
    { name: 'Ann', age: 3 },
    { name: 'Bob', age: 5 },
  ],
  text: 'line1\nline2',
};

/** Loops, macros, blocks, operators and more filters: [template, seclab's rendering]. */
const MORE_CASES: [string, string][] = [
  ['{{ 1e100 }} {{ 1e-7 }} {{ 2.5E3 + 0.5 }}', '1e+100 1e-07 2500.5'],
  [
    '{% for x in globals.l %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}',
    '1x,2y,3z',
  ],
  [
    '{% for x in globals.l %}{{ loop.index0 }}/{{ loop.length }}/{{ loop.first }}/{{ loop.revindex }} {% endfor %}',
    '0/3/True/3 1/3/False/2 2/3/False/1 ',
  ],
  ['{% for x in [] %}a{% else %}empty{% endfor %}', 'empty'],
  [
    '{% set total = globals.l | length %}{{ total }} {% set s %}captured {{ globals.fruit }}{% endset %}{{ s }}',
    '3 captured apple',
  ],
  [
    '{% macro greet(name, greeting="Hi") %}{{ greeting }} {{ name }}{% endmacro %}{{ greet("Ann") }} {{ greet("Bob", greeting="Yo") }}',
    'Hi Ann Yo Bob',
  ],
  [
    '{{ globals.text | indent(2) }}|{{ globals.s | title }}|{{ globals.s | capitalize }}|{{ globals.s | wordcount }}',
    'line1\n  line2|Hello World|Hello world|2',
  ],
  [
    '{{ globals.s | truncate(8) }}|{{ "a long sentence here" | truncate(9) }}|{{ "abcdefghijklmnop" | truncate(9, true) }}|{{ globals.s | center(15) }}|{{ "  x  " | trim }}|{{ globals.f | int }}|{{ "3" | int + 1 }}|{{ 3.75 | round(1, "floor") }}',
    'hello world|a...|abcdef...|  hello world  |x|2|4|3.7',
  ],
  [
    '{{ globals.l | batch(2) | list }} {{ globals.people | groupby("age") | list | length }} {{ globals.d | dictsort }}',
    "[['x', 'y'], ['z']] 2 [('a', 1), ('b', 2)]",
  ],
  [
    '{{ globals.fruit if globals.n > 2 else "no" }} {{ "yes" if globals.missing is defined else "no" }}',
    'apple no',
  ],
  [
    '{{ globals.n * 2 }} {{ globals.n / 2 }} {{ globals.n % 2 }} {{ -globals.n }} {{ globals.n - 1 }} {{ globals.n + 0.5 }}',
    '6 1.5 1 -3 2 3.5',
  ],
  ['{{ "a" + "b" }} {{ globals.l + ["w"] }} {{ "ab" * 2 }}', "ab ['x', 'y', 'z', 'w'] abab"],
  [
    '{{ globals.d.a }} {{ globals.d["b"] }} {{ globals.people[0].name }} {{ globals.people[-1]["name"] }}',
    '1 2 Ann Bob',
  ],
  [
    '{{ globals.l | unique | list }} {{ ["a", "A", "b"] | unique | list }} {{ globals.l | min }} {{ globals.l | max }} {{ globals.people | max(attribute="age") }}',
    "['x', 'y', 'z'] ['a', 'b'] x z {'name': 'Bob', 'age': 5}",
  ],
  [
    '{{ globals.people | map(attribute="age") | sum }} {{ globals.people | sum(attribute="age") }}',
    '8 8',
  ],
  ['{{ "%s" % globals.fruit }} {{ "%d items" % 3 }}', 'apple 3 items'],
  ['{{ globals.s.split(" ") | map("capitalize") | join(" ") }}', 'Hello World'],
  ['{{ "x,y" in globals.fruit }} {{ "app" not in globals.fruit }}', 'False False'],
  ['{{ (1, 2) }} {{ () }} {{ [1, 2] | join(",") }}', '(1, 2) () 1,2'],
  ['{{ globals.d.get("a") + 1 }} {{ globals.d | length > 1 }}', '2 True'],
  [
    '{% if globals.n is number and globals.n is odd %}odd{% endif %} {{ globals.fruit is string }} {{ globals.d is mapping }} {{ globals.l is iterable }}',
    'odd True True True',
  ],
  [
    '{{ true and "x" }} {{ false or 0 }} {{ none or [] }} {{ "" or "dflt" }} {{ 0 and 1 }}',
    'x 0 [] dflt 0',
  ],
  ['{{ globals.l|join(", ")|upper }} {{ globals.l|length is even }}', 'X, Y, Z False'],
  [
    '{{ "abc" | reverse }} {{ globals.l | reverse | join }} {{ "%s" | format("%s") }}',
    'cba zyx %s',
  ],
  ['{% filter upper %}inside {{ globals.fruit }}{% endfilter %}', 'INSIDE APPLE'],
  [
    '{{ globals.l[0:] == globals.l }} {{ globals.d == {"a": 1, "b": 2} }} {{ 1 == 1.0 }} {{ "1" == 1 }}',
    'True True True False',
  ],
  [
    '{{ "a\\tb" }} {{ \'single "q"\' }} {{ "esc \\"x\\"" }} {{ "uni \\u00e9" }}',
    'a\tb single "q" esc "x" uni é',
  ],
];

describe('more Jinja2 expressions, statements and filters', () => {
  const { renderer } = createTestRenderer();
  it.each(MORE_CASES)('%s', (template, expected) => {
    expect(renderer.render(template, { globals: MORE_GLOBALS })).toBe(expected);
  });
});

/** [template, what seclab's Environment renders]: trim_blocks, lstrip_blocks, newlines. */
const WHITESPACE_CASES: [string, string][] = [
  ['a\n  {# c #}\nb', 'a\nb'],
  ['a\n{# c #}\nb', 'a\nb'],
  ['a {# c #}\nb', 'a b'],
  ['a\n  {{ 1 }}\nb', 'a\n  1\nb'],
  ['x {% if true %}\ny{% endif %}\nz', 'x yz'],
  ['\t {% if true %}y{% endif %}\t\nz', 'y\t\nz'],
  ['a\n  {%- if true %}\ny\n  {% endif -%}\n  z', 'ay\nz'],
  ['a\n  {% if true -%}\n\n  y\n{%- endif %}\n', 'a\ny'],
  ['{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n', '  1\n  2\n'],
  ['  {% raw %}\n  {{ x }}\n  {% endraw %}\nq', '\n  {{ x }}\nq'],
  ['a {{ 1 -}}\n  b', 'a 1b'],
  ['{% set x = 1 %}\n{{ x }}\n', '1'],
  ['a\r\n  {% if true %}\r\nb\r\n{% endif %}\r\nc\r\n', 'a\nb\nc'],
  ['end\n\n\n', 'end\n\n'],
  ['', ''],
  ['\n', ''],
  ['  {% if true %}  \nq{% endif %}', '  \nq'],
];

describe("whitespace as seclab's Environment handles it", () => {
  const { renderer } = createTestRenderer();
  it.each(WHITESPACE_CASES)('%j', (template, expected) => {
    expect(renderer.render(template, {})).toBe(expected);
  });
});
