import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../requestState.js';
import { LoginBody, MeSchema, PasswordChangeBody, RefreshBody, SessionSchema } from './contract.js';

/** /api/auth — login, refresh, logout, password change, who am I. */
export const authRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/login',
    {
      config: { permission: 'public' },
      schema: {
        body: LoginBody,
        response: { 200: SessionSchema },
      },
    },
    async (req, reply) => {
      const session = await req.services.auth.login(req.body, req.requestContext);
      return reply.header('cache-control', 'no-store').send(session);
    },
  );

  r.post(
    '/refresh',
    {
      config: { permission: 'public' },
      schema: {
        body: RefreshBody,
        response: { 200: SessionSchema },
      },
    },
    async (req, reply) => {
      const session = await req.services.auth.refresh(req.body.refreshToken, req.requestContext);
      return reply.header('cache-control', 'no-store').send(session);
    },
  );

  r.post('/logout', { config: { permission: 'authenticated', allowPasswordChange: true } }, async (req, reply) => {
    await req.services.auth.logout(req.requirePrincipal(), req.requestContext);
    return reply.status(204).send();
  });

  r.post(
    '/password',
    {
      config: { permission: 'authenticated', allowPasswordChange: true },
      schema: {
        body: PasswordChangeBody,
      },
    },
    async (req, reply) => {
      await req.services.auth.changePassword(req.requirePrincipal(), req.body, req.requestContext);
      return reply.status(204).send();
    },
  );

  r.get('/me', { config: { permission: 'authenticated', allowPasswordChange: true }, schema: { response: { 200: MeSchema } } }, async (req) => {
    const p = req.requirePrincipal();
    return { id: p.userId, username: p.username, roles: p.roles, permissions: [...p.permissions], mustChangePassword: p.mustChangePassword };
  });
};
