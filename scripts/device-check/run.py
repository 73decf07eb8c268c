#!/usr/bin/env python3
"""The device check, run where the bundle lands (a lent GPU machine: no network, maybe no Node, no xz).

`pack` copies this file into the bundle as `run`. It unpacks the bundle with Python alone (lzma, tarfile, and a
small `ar` reader for the Vulkan .debs), finds the Vulkan driver, then runs each section with the bundled Node
under its own time budget: doctor, throughput, ceiling, peer, experiment. A section that fails or overruns is
reported with its reason and the others still run. Writes $OUT/device-check.json and $OUT/device-check.md.

    run [--quick] [--only SECTION] [--budget SECTION=SECONDS ...]
"""
import argparse
import glob
import hashlib
import io
import json
import lzma
import os
import platform
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

# Our own archives: extracted as they are (Python 3.12 warns unless a filter is named).
TRUSTED = {'filter': 'fully_trusted'} if hasattr(tarfile, 'fully_trusted_filter') else {}
HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ['doctor', 'throughput', 'ceiling', 'peer', 'experiment']
# Seconds per section. Full: about 5 minutes on an H100 in all, unpacking included.
BUDGET = {'doctor': 25, 'throughput': 85, 'ceiling': 20, 'peer': 50, 'experiment': 100}
# --quick runs on a software adapter (CI): small steps, generous budgets (they only stop a hang).
QUICK_BUDGET = {'doctor': 180, 'throughput': 600, 'ceiling': 240, 'peer': 300, 'experiment': 600}
TOTAL_S = 295
# After its budget a section has this long to stop by itself before it is killed.
GRACE_S = 15
NVIDIA_ICD = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json'
ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d']


def log(msg):
    print(f'[device-check {time.strftime("%H:%M:%S")}] {msg}', file=sys.stderr, flush=True)


def read_ar(path):
    """The members of an ar archive (a .deb): {name: bytes}."""
    out = {}
    with open(path, 'rb') as f:
        if f.read(8) != b'!<arch>\n':
            raise ValueError(f'{path}: not an ar archive')
        while True:
            header = f.read(60)
            if len(header) < 60:
                break
            name = header[:16].decode().strip().rstrip('/')
            size = int(header[48:58].decode().strip())
            out[name] = f.read(size)
            if size % 2:
                f.read(1)
    return out


def unpack_deb(path, dest):
    for name, data in read_ar(path).items():
        if name.startswith('data.tar'):
            if name.endswith('.zst'):
                raise ValueError(f'{path}: zstd data is not readable with Python alone')
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                t.extractall(dest, **TRUSTED)
            return
    raise ValueError(f'{path}: no data.tar member')


def unpack(root):
    """Unpacks the bundle into root once (a stamp file marks it done), with Python's lzma and tarfile only."""
    stamp = os.path.join(root, '.unpacked')
    manifest = os.path.join(HERE, 'manifest.json')
    if os.path.exists(stamp) and open(stamp).read() == open(manifest).read():
        return 0.0
    t0 = time.time()
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    node = os.path.join(root, 'node')
    with lzma.open(os.path.join(HERE, 'node.xz')) as src, open(node, 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.chmod(node, 0o755)
    app = os.path.join(root, 'app')
    for part in sorted(glob.glob(os.path.join(HERE, '*.tar.xz'))):
        with tarfile.open(part, 'r:xz') as t:
            t.extractall(app, **TRUSTED)
    for deb in sorted(glob.glob(os.path.join(HERE, 'vulkan', '*.deb'))):
        unpack_deb(deb, os.path.join(root, 'vulkan'))
    shutil.copyfile(manifest, stamp)
    return time.time() - t0


def vulkan_env(root, env):
    """The carried Vulkan loader on LD_LIBRARY_PATH; NVIDIA's ICD named when no driver manifest is where the loader looks."""
    notes = []
    libdirs = sorted({os.path.dirname(p) for p in glob.glob(os.path.join(root, 'vulkan', 'usr', 'lib', '*', 'libvulkan.so.1*'))})
    libdirs += [d for d in ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib'] if os.path.isdir(d)]
    if libdirs:
        env['LD_LIBRARY_PATH'] = ':'.join(libdirs + [p for p in env.get('LD_LIBRARY_PATH', '').split(':') if p])
        notes.append(f'loader from the bundle ({", ".join(libdirs)})')
    drivers = [p for d in ICD_DIRS for p in sorted(glob.glob(os.path.join(d, '*.json')))]
    if env.get('VK_DRIVER_FILES') or env.get('VK_ICD_FILENAMES'):
        notes.append(f'drivers as set: {env.get("VK_DRIVER_FILES") or env.get("VK_ICD_FILENAMES")}')
    elif drivers:
        notes.append(f'drivers: {", ".join(drivers)}')
    else:
        nvidia = [NVIDIA_ICD] if os.path.exists(NVIDIA_ICD) else sorted(glob.glob('/usr/local/nvidia/**/icd.d/*.json', recursive=True))
        if nvidia:
            env['VK_DRIVER_FILES'] = ':'.join(nvidia)
            env['VK_ICD_FILENAMES'] = env['VK_DRIVER_FILES']
            notes.append(f'no driver manifest in {", ".join(ICD_DIRS)}: VK_DRIVER_FILES={env["VK_DRIVER_FILES"]}')
        else:
            notes.append('no Vulkan driver manifest found (WebGPU falls back to any adapter Dawn offers)')
    return '; '.join(notes)


def gpu_name():
    try:
        r = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version', '--format=csv,noheader'], capture_output=True, text=True, timeout=20)
        return r.stdout.strip().replace('\n', '; ') or None
    except Exception:
        return None


def webgpu_route(doctor):
    """The Dawn route of the adapter lth doctor found for WebGPU (vulkan, opengles), or None."""
    for b in doctor.get('backends') or []:
        if b.get('name') == 'webgpu' and b.get('loads'):
            return (b.get('adapter') or {}).get('route')
    return None


def nvidia_icd_retry(env):
    """NVIDIA's driver manifest, named when the loader's own search gave Dawn no Vulkan adapter: True if it was set now."""
    if env.get('VK_DRIVER_FILES') or not os.path.exists(NVIDIA_ICD):
        return False
    env['VK_DRIVER_FILES'] = NVIDIA_ICD
    env['VK_ICD_FILENAMES'] = NVIDIA_ICD
    return True


def node_version(node):
    try:
        return subprocess.run([node, '--version'], capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:
        return f'does not start: {e}'


def run_section(name, cmd, env, budget, quick):
    """One section in its own process group: its JSON lines become {step: result | {error}}; killed past budget + grace."""
    t0 = time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    killed = False
    try:
        out, err = proc.communicate(timeout=budget + GRACE_S)
    except subprocess.TimeoutExpired:
        killed = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = round(time.time() - t0, 1)
    sys.stderr.write(err[-4000:] if quick else err[-1500:])
    section = {}
    if name == 'doctor':
        try:
            section = json.loads(out)
        except ValueError:
            pass
    else:
        for line in out.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and 'step' in item:
                section[item['step']] = item['result'] if 'error' not in item else {'error': item['error']}
    tail = ' / '.join(err.strip().splitlines()[-3:])
    if killed:
        section['stopped'] = f'over its budget of {budget} s (+{GRACE_S} s grace): killed after {seconds} s'
    if list(section) == ['section'] and 'error' in section['section']:
        section = {'error': section['section']['error']}
    elif not [k for k in section if k != 'stopped']:
        why = section.get('stopped') or f'exited with {proc.returncode}'
        section = {'error': f'{why}, nothing measured: {tail}' if tail else f'{why}, nothing measured'}
    elif proc.returncode not in (0, None) and not killed:
        section['exit'] = f'exited with {proc.returncode}: {tail}'
    section['seconds'] = seconds
    return section


def main():
    ap = argparse.ArgumentParser(description='LTH Lab device check: WebGPU (Dawn) and PyTorch CUDA on this machine')
    ap.add_argument('--quick', action='store_true', help='every step cut down (a software adapter, CI)')
    ap.add_argument('--only', choices=SECTIONS, help='rerun one section; the others are kept from the last device-check.json')
    ap.add_argument('--budget', action='append', default=[], metavar='SECTION=SECONDS', help='override a section\'s budget')
    args = ap.parse_args()
    started = time.time()
    out_dir = os.path.abspath(os.environ.get('OUT') or 'device-check-out')
    os.makedirs(out_dir, exist_ok=True)
    budgets = dict(QUICK_BUDGET if args.quick else BUDGET)
    for b in args.budget:
        k, _, v = b.partition('=')
        if k not in budgets:
            ap.error(f'--budget: unknown section {k!r} (one of {", ".join(SECTIONS)})')
        budgets[k] = float(v)

    # Unpacked outside the bundle, so the bundle stays small enough to carry again; keyed by the bundle's manifest,
    # so `--only` on the same machine unpacks nothing.
    with open(os.path.join(HERE, 'manifest.json'), 'rb') as f:
        key = hashlib.sha256(f.read()).hexdigest()[:12]
    root = os.path.join(tempfile.gettempdir(), f'lth-device-check-{key}')
    log('unpacking')
    unpack_s = unpack(root)
    node = os.path.join(root, 'node')
    cli = os.path.join(root, 'app', 'dist', 'cli.js')
    env = dict(os.environ)
    vulkan = vulkan_env(root, env)
    env['LTH_BENCH_PYTHON'] = env.get('LTH_BENCH_PYTHON') or shutil.which('python3') or sys.executable
    env['LTH_HOME'] = os.path.join(root, 'home')
    env.pop('LTH_DB', None)
    log(f'unpacked in {unpack_s:.1f} s; Vulkan: {vulkan}; PyTorch: {env["LTH_BENCH_PYTHON"]}')

    path = os.path.join(out_dir, 'device-check.json')
    report = {}
    if args.only and os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
    for name in [args.only] if args.only else SECTIONS:
        left = TOTAL_S - (time.time() - started) if not args.quick else budgets[name]
        budget = min(budgets[name], max(5, left))
        if name == 'doctor':
            cmd = [node, cli, 'doctor', '--json']
        else:
            cmd = [node, cli, '--backend', 'webgpu', 'bench', '--task', 'device', '--section', name, '--budget', f'{budget:g}'] + (['--quick'] if args.quick else [])
        log(f'{name} (budget {budget:g} s)')
        try:
            report[name] = run_section(name, cmd, env, budget, args.quick)
            if name == 'doctor' and webgpu_route(report[name]) != 'vulkan' and nvidia_icd_retry(env):
                vulkan += f'; Dawn found no Vulkan adapter ({webgpu_route(report[name]) or "no adapter"}): retried with VK_DRIVER_FILES={env["VK_DRIVER_FILES"]}'
                log(vulkan)
                report[name] = run_section(name, cmd, env, budget, args.quick)
        except Exception as e:
            report[name] = {'error': f'{type(e).__name__}: {e}'}
        adapter = (report[name].get('adapter') or {}).get('detail')
        log(f'{name}: {"error: " + report[name]["error"] if "error" in report[name] else "done"} ({report[name].get("seconds", "?")} s){"; " + adapter if adapter else ""}')

    report['meta'] = {
        'quick': args.quick,
        'only': args.only,
        'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(started)),
        'seconds': round(time.time() - started, 1),
        'unpackSeconds': round(unpack_s, 1),
        'host': f'{platform.node()} ({platform.machine()}, {os.cpu_count()} cores)',
        'gpu': gpu_name(),
        'vulkan': vulkan,
        'webgpu': ((report.get('throughput') or {}).get('adapter') or (report.get('ceiling') or {}).get('adapter') or {}).get('detail'),
        'node': f'{node} ({node_version(node)})',
        'python': env['LTH_BENCH_PYTHON'],
        'budgets': budgets,
        'bundle': json.load(open(os.path.join(HERE, 'manifest.json'))).get('parts'),
    }
    with open(path, 'w') as f:
        json.dump(report, f, indent=2)
    md = os.path.join(out_dir, 'device-check.md')
    r = subprocess.run([node, cli, 'bench', '--device-report', path], env=env, capture_output=True, text=True, timeout=60)
    with open(md, 'w') as f:
        f.write(r.stdout if r.returncode == 0 else f'Device check: the fragment could not be rendered ({r.stderr.strip()[-500:]}); see device-check.json.\n')
    log(f'wrote {path} and {md} in {report["meta"]["seconds"]} s')
    failed = [s for s in SECTIONS if 'error' in report.get(s, {})]
    if failed:
        log(f'sections with an error: {", ".join(failed)}')


if __name__ == '__main__':
    main()
