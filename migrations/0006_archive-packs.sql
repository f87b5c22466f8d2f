ALTER TABLE `archive_contents` ADD `pack` text;--> statement-breakpoint
ALTER TABLE `archive_contents` ADD `pack_offset` integer;--> statement-breakpoint
ALTER TABLE `archive_contents` ADD `pack_length` integer;--> statement-breakpoint
ALTER TABLE `archive_contents` ADD `compressed` integer DEFAULT false NOT NULL;