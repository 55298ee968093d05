"use client";
import type { MouseEvent, ReactNode } from "react";

/** A submit button that asks first (for actions that cannot be taken back, such as a regrade). */
export function ConfirmButton({ message, children, className, testId }: { message: string; children: ReactNode; className?: string; testId?: string }) {
  function ask(e: MouseEvent<HTMLButtonElement>) {
    if (!window.confirm(message)) e.preventDefault();
  }
  return (
    <button type="submit" onClick={ask} className={className} data-testid={testId}>
      {children}
    </button>
  );
}
