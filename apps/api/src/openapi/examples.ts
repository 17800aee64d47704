import type { ExampleObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** Request and answer examples, by operation (`METHOD /path`): the seed flow of the README, step by step. */
export interface OperationExamples {
  request?: Record<string, ExampleObject>;
  /** By status. */
  responses?: Record<string, Record<string, ExampleObject>>;
}

const methodId = '6f1c1d2e-8a4b-4c7e-9a11-2b3c4d5e6f70';
const codeId = '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b';
const textToMobile = { methodId, deliveryMethod: 'sms', label: 'Phone - text +1 4255550100' };
/** The page's `allowedMethodTypes` while the authentication methods policy allows everything. */
const everyMethodType = [
  { phoneType: 'mobile', deliveryMethods: ['sms', 'voice'] },
  { phoneType: 'alternateMobile', deliveryMethods: ['voice'] },
  { phoneType: 'office', deliveryMethods: ['voice'] },
];

export const EXAMPLES: Record<string, OperationExamples> = {
  'post /v1/me/security-info/phone-methods': {
    request: {
      textMeACode: {
        summary: 'Add a mobile phone, "Text me a code"',
        value: { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' },
      },
      office: {
        summary: 'An office phone with an extension, written nationally, "Call me"',
        value: {
          phoneNumber: '(425) 555-0199',
          countryCode: 'US',
          extension: '123',
          phoneType: 'office',
          deliveryMethod: 'voice',
        },
      },
    },
    responses: {
      '201': {
        added: {
          summary: 'Pending verification; the code is on its way',
          value: {
            methodId,
            status: 'pendingVerification',
            phoneType: 'mobile',
            phoneNumber: '+1 4255550100',
            e164: '+14255550100',
            code: {
              codeId,
              channel: 'sms',
              destination: '+1 XXXXXXXX00',
              expiresAt: '2026-11-26T10:10:00.000Z',
            },
            replacedMethodId: null,
            revision: '1',
            position: '2',
          },
        },
      },
    },
  },
  'post /v1/me/security-info/phone-methods/{methodId}/resend': {
    request: {
      sameChannel: { summary: 'Another code by the channel last asked for', value: {} },
      callMe: { summary: 'Switch to a call', value: { deliveryMethod: 'voice' } },
    },
    responses: {
      '202': {
        resent: {
          summary: 'A new code; every earlier code of the method died',
          value: {
            methodId,
            code: {
              codeId,
              channel: 'voice',
              destination: '+1 XXXXXXXX00',
              expiresAt: '2026-11-26T10:12:00.000Z',
            },
            revision: '2',
            position: '5',
          },
        },
      },
    },
  },
  'post /v1/me/security-info/phone-methods/{methodId}/verify': {
    request: { code: { summary: 'The 6 digits the phone got', value: { code: '123456' } } },
    responses: {
      '200': {
        firstVerified: {
          summary: 'Verified; the first verified method became the default',
          value: {
            methodId,
            status: 'verified',
            phoneNumber: '+1 4255550100',
            numberChanged: false,
            defaultMethod: textToMobile,
            revision: '3',
            position: '7',
          },
        },
      },
      '400': {
        codeIncorrect: {
          summary: 'A wrong code (recorded: the ETag moved)',
          value: {
            type: 'urn:signet:problem:code-incorrect',
            title: 'Bad request',
            status: 400,
            detail: 'That code is not right; 4 attempts left.',
            code: 'code-incorrect',
            attemptsRemaining: 4,
          },
        },
      },
    },
  },
  'patch /v1/me/security-info/phone-methods/{methodId}': {
    request: {
      newNumber: { summary: "Change a verified phone's number", value: { phoneNumber: '+1 425 555 0102' } },
    },
    responses: {
      '202': {
        started: {
          summary: 'A code went to the new number; the old one works until it is proven',
          value: {
            methodId,
            status: 'verified',
            phoneNumber: '+1 4255550100',
            pendingNumber: '+1 XXXXXXXX02',
            code: {
              codeId,
              channel: 'sms',
              destination: '+1 XXXXXXXX02',
              expiresAt: '2026-11-26T10:20:00.000Z',
            },
            revision: '4',
            position: '9',
          },
        },
      },
    },
  },
  'delete /v1/me/security-info/phone-methods/{methodId}/pending-change': {
    responses: {
      '200': {
        cancelled: {
          summary: 'The number change is dropped; the method keeps its number',
          value: { methodId, cancelled: true, phoneNumber: '+1 4255550100', revision: '5', position: '11' },
        },
      },
    },
  },
  'delete /v1/me/security-info/methods/{methodId}': {
    responses: {
      '200': {
        deletedTheDefault: {
          summary: 'The default was deleted: no other verified method to fall back to',
          value: { methodId, deleted: true, defaultMethod: null, revision: '6', position: '12' },
        },
      },
    },
  },
  'put /v1/me/security-info/default-method': {
    request: {
      callMe: {
        summary: 'Make "Call me" on the mobile the default',
        value: { methodId, deliveryMethod: 'voice' },
      },
    },
    responses: {
      '200': {
        changed: {
          summary: 'The default changed',
          value: {
            defaultMethod: { methodId, deliveryMethod: 'voice', label: 'Phone - call +1 4255550100' },
            changed: true,
            revision: '4',
            position: '9',
          },
        },
        unchanged: {
          summary: 'It already was the default: nothing recorded',
          value: { defaultMethod: textToMobile, changed: false, revision: '3', position: '7' },
        },
      },
    },
  },
  'get /v1/me/security-info': {
    responses: {
      '200': {
        oneVerifiedPhone: {
          summary: 'After the seed flow: one verified mobile, the default',
          value: {
            userId: 'alice',
            methods: [
              {
                methodId,
                type: 'phone',
                phoneType: 'mobile',
                phoneNumber: '+1 4255550100',
                e164: '+14255550100',
                extension: null,
                label: 'Phone',
                deliveryMethods: ['sms', 'voice'],
                status: 'verified',
                state: 'enabled',
                isDefault: true,
                addedAt: '2026-11-26T10:00:00.000Z',
                verifiedAt: '2026-11-26T10:01:00.000Z',
                lapsesAt: null,
                pendingNumber: null,
                lastCode: null,
                lastUsedAt: null,
              },
            ],
            defaultMethod: textToMobile,
            allowedMethodTypes: everyMethodType,
            personalDataErased: null,
            revision: '3',
            updatedAt: '2026-11-26T10:01:00.000Z',
          },
        },
        noHistory: {
          summary: 'A user with no history',
          value: {
            userId: 'bob',
            methods: [],
            defaultMethod: null,
            allowedMethodTypes: everyMethodType,
            personalDataErased: null,
            revision: null,
            updatedAt: null,
          },
        },
        erased: {
          summary: 'After a privacy officer erased the personal data; calls turned off by the methods policy',
          value: {
            userId: 'carol',
            methods: [],
            defaultMethod: null,
            allowedMethodTypes: [{ phoneType: 'mobile', deliveryMethods: ['sms'] }],
            personalDataErased: { erasedAt: '2026-11-27T09:00:00.000Z' },
            revision: '8',
            updatedAt: '2026-11-27T09:00:00.000Z',
          },
        },
      },
    },
  },
};
