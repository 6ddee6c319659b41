// Command quickstart charges a batch of orders: at most 4 at once, one at
// a time per customer, stopping the batch at the first error.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

type Order struct {
	ID, Customer string
	Cents        int
}

type Receipt struct {
	Order, Total string
}

// charge stands in for a call to a payment service.
func charge(ctx context.Context, o Order) (Receipt, error) {
	if o.Cents <= 0 {
		return Receipt{}, fmt.Errorf("order %s: amount must be positive", o.ID)
	}
	return Receipt{o.ID, fmt.Sprintf("%d.%02d", o.Cents/100, o.Cents%100)}, nil
}

func chargeAll(ctx context.Context, orders []Order) ([]Receipt, error) {
	return parallel.Map(ctx, orders, charge,
		parallel.MaxWorkers(4),                     // at most 4 charges at once
		parallel.WithStrategy(strategy.FailFast()), // the first error stops the batch (Map's default)
		parallel.PerItem(func(o Order) pool.TaskOption { // one charge per customer at a time
			return pool.Name(o.Customer)
		}))
}

func main() {
	orders := []Order{{"o1", "ann", 1250}, {"o2", "bob", 399}, {"o3", "ann", 2000}, {"o4", "cy", 75}}
	receipts, err := chargeAll(context.Background(), orders)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range receipts { // typed, in the orders' order
		fmt.Println(r.Order, r.Total)
	}

	_, err = chargeAll(context.Background(), append(orders, Order{"o5", "dan", 0}))
	fmt.Println("error:", err)
}
