#!/usr/bin/env python3
"""Data-parallel scaling on one machine: `mpirun -np N gptlab bench --threads T` against N independent
`gptlab bench --threads T` processes running at the same time (the same cores, the same work, no communication).

Rounds alternate the variants (these machines are noisy); each prints tokens/s, and the summary gives the median
ratio of each MPI variant to the independent processes' summed tokens/s.

    python3 bench/mpi_scaling.py --gptlab /tmp/gl/gptlab --preset b --rounds 3
    python3 bench/mpi_scaling.py ... --variant "ring, overlap=ddp_overlap=true" --variant "ring=ddp_overlap=false" \
        --variant "open mpi default=ddp_overlap=false;OMPI_MCA_coll_tuned_use_dynamic_rules=0;OMPI_MCA_btl_vader_single_copy_mechanism=cma"

A variant is NAME=SETTINGS: config keys (key=value, passed as --set), OMPI_MCA_* variables (set for mpirun) and
other upper-case environment variables (passed to the ranks with -x), separated by ';'.
"""
import argparse, json, os, statistics, subprocess, sys


def bench(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    line = next(l for l in out.stdout.splitlines()[::-1] if '{' in l)
    return json.loads(line[line.index('{'):])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--gptlab', default='gptlab')
    ap.add_argument('--preset', default='b')
    ap.add_argument('--ranks', type=int, default=2)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--variant', action='append', default=[])
    a = ap.parse_args()
    variants = a.variant or ['overlap=ddp_overlap=true', 'after backward=ddp_overlap=false']
    base = [a.gptlab, 'bench', '--preset', a.preset, '--threads', str(a.threads), '--iters', str(a.iters),
            '--warmup', str(a.warmup), '--json']
    results = {'independent': []}
    for v in variants:
        results[v.split('=', 1)[0]] = []
    for r in range(a.rounds):
        procs = [subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(a.ranks)]
        tps = []
        for p in procs:
            out, err = p.communicate()
            if p.returncode != 0:
                sys.exit(err[-2000:])
            line = next(l for l in out.splitlines()[::-1] if '{' in l)
            tps.append(json.loads(line[line.index('{'):])['tokens_per_s'])
        results['independent'].append({'tokens_per_s': sum(tps)})
        print(f"round {r + 1}: {a.ranks} independent processes: {' + '.join(f'{t:,.0f}' for t in tps)} = {sum(tps):,.0f} tokens/s", flush=True)
        for v in variants:
            name, settings = v.split('=', 1)
            env, sets, exports = dict(os.environ), [], []
            for s in filter(None, settings.split(';')):
                k, val = s.split('=', 1)
                if k.startswith('OMPI_MCA_'):
                    env[k] = val
                elif k.isupper():
                    env[k] = val
                    exports += ['-x', k]
                else:
                    sets += ['--set', f'{k}={val}']
            d = bench(['mpirun', '--allow-run-as-root', '--oversubscribe', '-np', str(a.ranks)] + exports + base + sets, env)
            results[name].append(d)
            print(f"round {r + 1}: mpirun -np {a.ranks} {name}: {d['tokens_per_s']:,.0f} tokens/s, {d['ms_per_iter']:.0f} ms/iter "
                  f"(forward {d['forward_ms']:.0f}, backward {d['backward_ms']:.0f}, waited for allreduce {d['sync_ms']:.0f}, "
                  f"in MPI_Allreduce {d.get('allreduce_ms', 0):.0f})", flush=True)
    ind = statistics.median(x['tokens_per_s'] for x in results['independent'])
    print(f"\n{a.ranks} independent {a.threads}-thread processes, preset {a.preset}: median {ind:,.0f} tokens/s")
    for name, runs in results.items():
        if name == 'independent':
            continue
        ratios = [run['tokens_per_s'] / ind_run['tokens_per_s'] for run, ind_run in zip(runs, results['independent'])]
        print(f"mpirun -np {a.ranks}, {name}: median {statistics.median(x['tokens_per_s'] for x in runs):,.0f} tokens/s, "
              f"scaling {statistics.median(ratios):.3f} (per round: {', '.join(f'{x:.3f}' for x in ratios)}), "
              f"waited {statistics.median(x['sync_ms'] for x in runs):.0f} ms/step, "
              f"in MPI_Allreduce {statistics.median(x.get('allreduce_ms', 0) for x in runs):.0f} ms/step")


if __name__ == '__main__':
    main()
