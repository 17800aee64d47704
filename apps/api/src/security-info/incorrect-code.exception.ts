import { ProblemException } from '../problem/problem';

/** A wrong code is recorded (attempts count down) and answered as a refusal. */
export class IncorrectCodeException extends ProblemException {
  constructor(attemptsRemaining: number) {
    super(
      400,
      'code-incorrect',
      attemptsRemaining > 0
        ? `That code is not right; ${attemptsRemaining} attempt${attemptsRemaining === 1 ? '' : 's'} left.`
        : 'That code is not right, and it is now locked; ask for a new code.',
      { attemptsRemaining },
    );
  }
}
