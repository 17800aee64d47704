import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { problemFrom } from './problem';

/** Every error leaves the API as application/problem+json. */
@Catch()
export class ProblemJsonFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { problem, headers } = problemFrom(error);
    if (problem.status >= 500 && !(error instanceof HttpException)) {
      // Stack only: request bodies (which may hold a verification code) are never logged.
      this.logger.error((error as Error)?.stack ?? String(error));
    }
    if (response.headersSent) return;
    response
      .status(problem.status)
      .set(headers)
      .type('application/problem+json')
      .send(JSON.stringify(problem));
  }
}
