import { Module } from '@nestjs/common';
import { DevSignInController } from './dev-sign-in.controller';

/** The Security info page's server side: its development sign-in (the built files are served by servePage). */
@Module({ controllers: [DevSignInController] })
export class WebPageModule {}
