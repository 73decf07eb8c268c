import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPlan, Step } from './network';

type ConvStep = Extract<Step, { op: 'conv' }>;
type DenseStep = Extract<Step, { op: 'dense' }>;

/** What differs between the step interpreters (the trainer's forward, the scorers'): the layers themselves. */
export interface StepOps {
  conv(step: ConvStep, input: tf.Tensor4D, first: boolean): tf.Tensor4D;
  pool(act: tf.Tensor4D): tf.Tensor4D;
  dense(step: DenseStep, act: tf.Tensor, first: boolean): tf.Tensor;
}

/**
 * The plan's steps over a batch [batch, height * width * channels] (NHWC flattened): the shared part of every
 * forward pass (input reshape, flatten, global average, residual fork and join), the layers from `ops`. After each
 * step it yields the activation and whether a residual block is open; a caller may send back a replacement.
 */
export function* walkSteps(plan: NetworkPlan, x: tf.Tensor2D, ops: StepOps): Generator<{ step: Step; act: tf.Tensor; inBlock: boolean }, tf.Tensor, tf.Tensor | undefined> {
  const [h, w, c] = plan.inputShape;
  let act: tf.Tensor = plan.steps[0]?.op !== 'dense' ? tf.reshape(x, [-1, h, w, c]) : x;
  let first = true;
  const forks: tf.Tensor4D[] = [];
  for (const step of plan.steps) {
    switch (step.op) {
      case 'conv':
        act = ops.conv(step, act as tf.Tensor4D, first);
        first = false;
        break;
      case 'pool':
        act = ops.pool(act as tf.Tensor4D);
        break;
      case 'flatten':
        act = tf.reshape(act, [act.shape[0]!, -1]);
        break;
      case 'average':
        act = tf.mean(act, [1, 2]);
        break;
      case 'fork':
        forks.push(act as tf.Tensor4D);
        break;
      case 'join': {
        const input = forks.pop()!;
        const shortcut = step.projection ? ops.conv(step.projection, input, false) : input;
        act = tf.relu(tf.add(act, shortcut));
        break;
      }
      case 'dense':
        act = ops.dense(step, act, first);
        first = false;
        break;
    }
    act = (yield { step, act, inBlock: forks.length > 0 }) ?? act;
  }
  return act;
}

/** Runs walkSteps to the end, replacing nothing. */
export function runSteps(plan: NetworkPlan, x: tf.Tensor2D, ops: StepOps): tf.Tensor {
  const walk = walkSteps(plan, x, ops);
  for (let r = walk.next(); ; r = walk.next(undefined)) if (r.done) return r.value;
}

