/** The network plan is pure and shared with the renderer's wizard (src/shared/network.ts). */
export * from '../../shared/network';
