// A discriminated union from the `schemas` fixture spec narrows on its tag.
import type { Shape } from "./shapes-sdk/src/models.js";

export function area(shape: Shape): number {
  switch (shape.kind) {
    case "circle":
      return Math.PI * shape.radius ** 2;
    case "square":
      return shape.side ** 2;
    default: {
      const never: never = shape;
      return never;
    }
  }
}

// @ts-expect-error a circle has no side
export const wrong: Shape = { kind: "circle", side: 2 };
