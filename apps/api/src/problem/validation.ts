import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException } from './problem';

/** Request bodies are validated against their DTOs; every failure names its field. */
export function requestValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) =>
      new ProblemException(400, 'validation-failed', 'The request body is not valid.', {
        errors: flatten(errors),
      }),
  });
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
