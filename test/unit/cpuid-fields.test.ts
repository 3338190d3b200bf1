import { describe, expect, it } from '@jest/globals';
import { tokenize } from '../../src/parse/c/tokenizer.js';
import { cpuVariables, fieldsRead, type CpuVariables } from '../../src/parse/qemu-x86/cpuid-code.js';

const FIELDS = ['enable_pmu', 'env.cpuid_level', 'l1_cache_per_core', 'env.features'];
const CPU: CpuVariables = { cpu: new Set(['cpu']), env: new Set(['env']) };
const read = (code: string, variables = CPU): string[] =>
  fieldsRead(tokenize(code, 'x.c'), FIELDS, variables);

describe('X86CPU fields a piece of code reads', () => {
  it('finds cpu->field, cpu->env.field and env->field', () => {
    expect(read('if (!cpu->enable_pmu) { *ecx &= ~X; }')).toEqual(['enable_pmu']);
    expect(read('x = cpu->env.cpuid_level;')).toEqual(['env.cpuid_level']);
    expect(read('if (env->cpuid_level >= 7) y();')).toEqual(['env.cpuid_level']);
    expect(read('n = cpu->l1_cache_per_core ? cs->nr_threads : 1;')).toEqual(['l1_cache_per_core']);
  });

  it('does not take a local variable or another struct member of the same name for the field', () => {
    expect(read('int enable_pmu = 1; cpuid_level = 0;')).toEqual([]);
    expect(read('x = other.cpuid_level;')).toEqual([]);
    expect(read('x = cache->enable_pmu + topo.l1_cache_per_core;')).toEqual([]);
  });

  it('follows the names the function gives the CPU', () => {
    const variables = cpuVariables(
      tokenize('X86CPU *const xc = X86_CPU(obj); CPUX86State *cenv = &xc->env;', 'x.c'),
    );
    expect(variables).toEqual({ cpu: new Set(['xc']), env: new Set(['cenv']) });
    expect(
      read('if (xc->enable_pmu && cenv->cpuid_level > 7) y(cpu->l1_cache_per_core);', variables),
    ).toEqual(['enable_pmu', 'env.cpuid_level']);
  });
});
