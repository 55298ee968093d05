import { z } from "zod";

/** The sign-up and sign-in forms, validated at the boundary. */
export const SignUpForm = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("not a valid email address")),
  displayName: z.string().trim().min(1, "a display name is required").max(100, "a display name has at most 100 characters"),
  password: z.string().min(8, "a password has at least 8 characters").max(200, "a password has at most 200 characters"),
  inviteCode: z.string().trim().max(32).optional().transform((v) => (v === undefined || v === "" ? undefined : v)),
});

export const SignInForm = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(200),
  next: z.string().optional(),
});
